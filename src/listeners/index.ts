import type { App } from '@slack/bolt';
import { auditMoreAction } from '../features/audit/actions.js';
import { ACTION_AUDIT_MORE } from '../features/audit/blocks.js';
import { ACTION_DIGEST_REVIEW } from '../features/digest/blocks.js';
import {
  ACTION_HOME_DIGEST,
  ACTION_HOME_LOOKUP,
  ACTION_HOME_REFRESH,
  ACTION_HOME_SCAN,
  VIEW_HOME_LOOKUP,
  VIEW_HOME_SCAN,
} from '../features/home/blocks.js';
import {
  homeModalSubmission,
  homeOpened,
  homeQuickAction,
  homeRefreshAction,
} from '../features/home/event.js';
import { lookupLiveAction } from '../features/lookup/actions.js';
import { ACTION_LOOKUP_LIVE } from '../features/lookup/blocks.js';
import { userCommand } from '../features/lookup/command.js';
import {
  exemptOpenAction,
  exemptSubmission,
  keepAction,
  keepSubmission,
  notMineAction,
  selfRevokeAction,
} from '../features/policy/actions.js';
import {
  ACTION_EXEMPT_OPEN,
  ACTION_KEEP,
  ACTION_NOT_MINE,
  ACTION_SELF_REVOKE,
  VIEW_EXEMPT,
  VIEW_KEEP,
} from '../features/policy/blocks.js';
import {
  approvalAction,
  denyAction,
  denySubmission,
  requestSubmission,
  revokeKeyAction,
  revokeStaleAction,
} from '../features/revocation/actions.js';
import { ACTION_APPROVE, ACTION_DENY, ACTION_RETRY, VIEW_DENY } from '../features/revocation/blocks.js';
import {
  ACTION_REVOKE_KEY,
  ACTION_REVOKE_STALE,
  VIEW_REQUEST,
} from '../features/revocation/request-blocks.js';
import { stalePageAction } from '../features/stale/actions.js';
import { ACTION_STALE_CSV, ACTION_STALE_LIVE, ACTION_STALE_NEXT } from '../features/stale/blocks.js';
import { keysCommand } from '../features/stale/command.js';
import type { ListenerDeps } from './deps.js';

/** Routes only: one listener per command or action_id. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command('/keys', keysCommand(deps));
  app.command('/user', userCommand(deps));
  app.action({ action_id: new RegExp(`^${ACTION_STALE_NEXT}`) }, stalePageAction(deps, 'page'));
  app.action({ action_id: ACTION_STALE_CSV }, stalePageAction(deps, 'csv'));
  app.action({ action_id: ACTION_STALE_LIVE }, stalePageAction(deps, 'page'));
  app.action({ action_id: ACTION_LOOKUP_LIVE }, lookupLiveAction(deps));
  app.action({ action_id: new RegExp(`^${ACTION_DIGEST_REVIEW}`) }, stalePageAction(deps, 'report', 'new'));
  app.action({ action_id: ACTION_REVOKE_KEY }, revokeKeyAction(deps));
  app.action({ action_id: ACTION_REVOKE_STALE }, revokeStaleAction(deps));
  app.view(VIEW_REQUEST, requestSubmission(deps));
  app.action({ action_id: ACTION_APPROVE }, approvalAction(deps, 'approve'));
  app.action({ action_id: ACTION_DENY }, denyAction(deps));
  app.view(VIEW_DENY, denySubmission(deps));
  app.action({ action_id: ACTION_RETRY }, approvalAction(deps, 'retry'));
  app.action({ action_id: ACTION_KEEP }, keepAction(deps));
  app.action({ action_id: ACTION_SELF_REVOKE }, selfRevokeAction(deps));
  app.action({ action_id: ACTION_NOT_MINE }, notMineAction(deps));
  app.view(VIEW_KEEP, keepSubmission(deps));
  app.action({ action_id: ACTION_EXEMPT_OPEN }, exemptOpenAction(deps));
  app.view(VIEW_EXEMPT, exemptSubmission(deps));
  app.event('app_home_opened', homeOpened(deps));
  app.action({ action_id: ACTION_AUDIT_MORE }, auditMoreAction(deps));
  app.action({ action_id: ACTION_HOME_REFRESH }, homeRefreshAction(deps));
  app.action({ action_id: ACTION_HOME_SCAN }, homeQuickAction(deps, 'scan'));
  app.action({ action_id: ACTION_HOME_DIGEST }, homeQuickAction(deps, 'digest'));
  app.action({ action_id: ACTION_HOME_LOOKUP }, homeQuickAction(deps, 'lookup'));
  app.view(VIEW_HOME_SCAN, homeModalSubmission(deps, 'scan'));
  app.view(VIEW_HOME_LOOKUP, homeModalSubmission(deps, 'lookup'));
}
