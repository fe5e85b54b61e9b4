import { signSlackRequest } from '../../src/slack/verify.js';

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
