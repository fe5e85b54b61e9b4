import { signSlackRequest } from '../../src/slack/verify.js';
import type { FakeSlack } from './fake-slack.js';

/** Builds Slack requests the way Slack does: form-encoded bodies, signed with the app's signing secret. */
export function slashCommandBody(fields: Record<string, string>): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token',
    team_id: 'T0001',
    team_domain: 'acme',
    channel_id: 'C0ADMINS',
    channel_name: 'security',
    user_id: 'UADMIN1',
    user_name: 'alice',
    command: '/keys',
    text: '',
    api_app_id: 'A0KEYWARDEN',
    trigger_id: `trigger-${Math.random().toString(36).slice(2)}`,
    ...fields,
  }).toString();
}

export function blockActionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function signedHeaders(
  signingSecret: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(signingSecret, timestamp, body),
  };
}

export async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${url}/slack/events`, { method: 'POST', body, headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json: json as Record<string, unknown> | undefined };
}

export interface Button {
  action_id: string;
  value: string;
}

/** Every button in a message: row accessories and the elements of actions blocks. */
export function buttons(blocks: ReadonlyArray<Record<string, unknown>>): Button[] {
  const out: Button[] = [];
  for (const b of blocks) {
    if (b.accessory) out.push(b.accessory as unknown as Button);
    if (Array.isArray(b.elements)) {
      for (const e of b.elements as Array<Record<string, unknown>>)
        if (e.type === 'button') out.push(e as unknown as Button);
    }
  }
  return out;
}

/** A signed block_actions request pressing `button` as `user` in `channel`, answered at `responseUrl`. */
export function pressBody(
  user: string,
  button: Button,
  channel: string,
  responseUrl: string,
  triggerId: string,
): string {
  return blockActionBody({
    type: 'block_actions',
    user: { id: user },
    team: { id: 'T0001' },
    channel: { id: channel },
    container: { type: 'message', channel_id: channel },
    response_url: responseUrl,
    trigger_id: triggerId,
    actions: [{ type: 'button', action_id: button.action_id, value: button.value }],
  });
}

/**
 * A view_submission of a modal whose one input is `reason` (the revocation request and Deny modals), as `user`
 * submits it: the view's id and metadata as Slack sends them back, and the typed text (null when left empty).
 */
export function reasonSubmissionBody(
  user: string,
  modal: { id: string; view: Record<string, unknown> },
  reason: string | null,
): string {
  return blockActionBody({
    type: 'view_submission',
    team: { id: 'T0001' },
    user: { id: user },
    view: {
      id: modal.id,
      callback_id: modal.view.callback_id,
      private_metadata: modal.view.private_metadata,
      state: { values: { reason: { value: { type: 'plain_text_input', value: reason } } } },
    },
  });
}

/**
 * Presses `button` (one that opens a modal with a reason input, such as Request revocation or Deny) as `user`,
 * then submits that modal with `reason` as the same user: what a person does in Slack. Throws when the press opened
 * no modal. Returns the press's response_url (where a refusal of the press is told).
 */
export async function pressAndSubmit(input: {
  url: string;
  secret: string;
  slack: Pick<FakeSlack, 'responseUrl' | 'viewOpenedBy'>;
  user: string;
  button: Button;
  channel: string;
  triggerId: string;
  reason: string | null;
}): Promise<string> {
  const responseUrl = input.slack.responseUrl();
  const press = pressBody(input.user, input.button, input.channel, responseUrl, input.triggerId);
  const pressed = await post(input.url, press, signedHeaders(input.secret, press));
  if (pressed.status !== 200) throw new Error(`the press was answered ${pressed.status}`);
  const modal = input.slack.viewOpenedBy(input.triggerId);
  if (!modal) throw new Error(`${input.button.action_id} opened no modal for ${input.user}`);
  const submission = reasonSubmissionBody(input.user, modal, input.reason);
  const submitted = await post(input.url, submission, signedHeaders(input.secret, submission));
  if (submitted.status !== 200 || submitted.json)
    throw new Error(`the modal was refused: ${submitted.status} ${submitted.text}`);
  return responseUrl;
}
