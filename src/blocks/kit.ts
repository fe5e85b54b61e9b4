import type { Block } from './limits.js';
import { plain } from './mrkdwn.js';

/** Small constructors so renderers read as layouts. Text passed as mrkdwn must already be escaped. */
export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: plain(text, 150), emoji: true },
});
export const section = (mrkdwn: string, accessory?: Block): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: mrkdwn.length > 3000 ? `${mrkdwn.slice(0, 2999)}…` : mrkdwn },
  ...(accessory ? { accessory } : {}),
});
export const context = (...mrkdwn: string[]): Block => ({
  type: 'context',
  elements: mrkdwn
    .slice(0, 10)
    .map((text) => ({ type: 'mrkdwn', text: text.length > 2000 ? `${text.slice(0, 1999)}…` : text })),
});
export const divider = (): Block => ({ type: 'divider' });
export const actions = (elements: Block[], blockId?: string): Block => ({
  type: 'actions',
  ...(blockId ? { block_id: blockId } : {}),
  elements: elements.slice(0, 25),
});

export interface ButtonOptions {
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function button(text: string, actionId: string, value: string, options: ButtonOptions = {}): Block {
  return {
    type: 'button',
    text: { type: 'plain_text', text: plain(text, 75), emoji: true },
    action_id: actionId,
    value,
    ...(options.style ? { style: options.style } : {}),
    ...(options.confirm
      ? {
          confirm: {
            title: { type: 'plain_text', text: plain(options.confirm.title, 100) },
            text: { type: 'mrkdwn', text: plain(options.confirm.text, 300) },
            confirm: { type: 'plain_text', text: plain(options.confirm.confirm, 30) },
            deny: { type: 'plain_text', text: plain(options.confirm.deny, 30) },
          },
        }
      : {}),
  };
}

/** A Slack message: blocks plus the notification fallback text. */
export interface Message {
  text: string;
  blocks: Block[];
}
