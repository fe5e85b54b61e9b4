import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  HomeView,
  InputBlock,
  ModalView,
  SectionBlock,
} from '@slack/types';
import type { Block } from './limits.js';
import { plain } from './mrkdwn.js';

/** Small constructors so renderers read as layouts. Text passed as mrkdwn must already be escaped. */
/*
 * Each constructor's object is checked against Slack's own Block Kit types (@slack/types) with `satisfies`, so a
 * malformed block fails type-checking instead of failing in Slack; renderers then carry it as a plain `Block`.
 */
export const header = (text: string): Block =>
  ({
    type: 'header',
    text: { type: 'plain_text', text: plain(text, 150), emoji: true },
  }) satisfies HeaderBlock;
export const section = (mrkdwn: string, accessory?: Block): Block =>
  ({
    type: 'section',
    text: { type: 'mrkdwn', text: mrkdwn.length > 3000 ? `${mrkdwn.slice(0, 2999)}…` : mrkdwn },
    ...(accessory ? { accessory: accessory as unknown as Button } : {}),
  }) satisfies SectionBlock;
export const context = (...mrkdwn: string[]): Block =>
  ({
    type: 'context',
    elements: mrkdwn.slice(0, 10).map((text) => ({
      type: 'mrkdwn' as const,
      text: text.length > 2000 ? `${text.slice(0, 1999)}…` : text,
    })),
  }) satisfies ContextBlock;
export const divider = (): Block => ({ type: 'divider' }) satisfies DividerBlock;
export const actions = (elements: Block[], blockId?: string): Block =>
  ({
    type: 'actions',
    ...(blockId ? { block_id: blockId } : {}),
    elements: elements.slice(0, 25) as unknown as Button[],
  }) satisfies ActionsBlock;

export interface ButtonOptions {
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string };
}

export function button(text: string, actionId: string, value: string, options: ButtonOptions = {}): Block {
  const b: Button = {
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
  return b as unknown as Block;
}

/** A Slack message: blocks plus the notification fallback text. */
export interface Message {
  text: string;
  blocks: Block[];
}

/** An input block of a modal (a text field, a select), checked against Slack's type. */
export const input = (block: InputBlock): Block => block as unknown as Block;

/** A modal for `views.open`: its own fields checked against Slack's ModalView; its blocks by the constructors. */
export function modal(
  view: Omit<ModalView, 'type' | 'blocks'> & { blocks: Block[] },
): Record<string, unknown> {
  const checked = { ...view, type: 'modal' } satisfies Omit<ModalView, 'blocks'> & { blocks: Block[] };
  return checked;
}

/** A Home tab for `views.publish`, its fields checked against Slack's HomeView. */
export function homeTab(
  view: Omit<HomeView, 'type' | 'blocks'> & { blocks: Block[] },
): Record<string, unknown> {
  const checked = { ...view, type: 'home' } satisfies Omit<HomeView, 'blocks'> & { blocks: Block[] };
  return checked;
}
