import type { App } from '@slack/bolt';
import { ACTION_APPROVE, ACTION_DENY, ACTION_RETRY } from '../blocks/approval.js';
import { ACTION_DIGEST_REVIEW } from '../blocks/digest.js';
import { ACTION_REVOKE_KEY, ACTION_REVOKE_STALE } from '../blocks/revoke-buttons.js';
import { ACTION_STALE_CSV, ACTION_STALE_NEXT } from '../blocks/stale.js';
import { approvalAction } from './actions/approval.js';
import { revokeKeyAction, revokeStaleAction } from './actions/revoke-request.js';
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
  app.action({ action_id: new RegExp(`^${ACTION_DIGEST_REVIEW}`) }, stalePageAction(deps, 'report', 'new'));
  app.action({ action_id: ACTION_REVOKE_KEY }, revokeKeyAction(deps));
  app.action({ action_id: ACTION_REVOKE_STALE }, revokeStaleAction(deps));
  app.action({ action_id: ACTION_APPROVE }, approvalAction(deps, 'approve'));
  app.action({ action_id: ACTION_DENY }, approvalAction(deps, 'deny'));
  app.action({ action_id: ACTION_RETRY }, approvalAction(deps, 'retry'));
}
