import type { App } from '@slack/bolt';
import { ACTION_STALE_CSV, ACTION_STALE_NEXT } from '../blocks/stale.js';
import { stalePageAction } from './actions/stale-page.js';
import { keysCommand } from './commands/keys.js';
import { userCommand } from './commands/user.js';
import type { ListenerDeps } from './deps.js';

/** Routes only: one listener per command or action_id. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command('/keys', keysCommand(deps));
  app.command('/user', userCommand(deps));
  app.action({ action_id: new RegExp(`^${ACTION_STALE_NEXT}`) }, stalePageAction(deps, 'page'));
  app.action({ action_id: ACTION_STALE_CSV }, stalePageAction(deps, 'csv'));
}
