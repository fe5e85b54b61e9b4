import { context, type Message, section } from './kit.js';
import { escapeMrkdwn, field } from './mrkdwn.js';

/** A command's usage, as the grammar writes it (src/commands/grammar.ts). */
export function helpMessage(usage: string): Message {
  return { text: usage, blocks: [section(`\`\`\`${escapeMrkdwn(usage)}\`\`\``)] };
}

/**
 * A usage error: the problem named on the first line, then the usage. The notification text (`text`) is mrkdwn
 * too, and Slack notifies for a mention in it, so it carries the same escaped problem as the block.
 */
export function usageMessage(problem: string, usage: string): Message {
  const shown = field(problem, 300);
  return {
    text: `${shown}\n${escapeMrkdwn(usage)}`,
    blocks: [section(`:grey_question: ${shown}`), section(`\`\`\`${escapeMrkdwn(usage)}\`\`\``)],
  };
}

/**
 * Something failed: one plain sentence, never a stack trace. The sentence may quote a vendor's error message, so
 * the notification text is escaped like the block.
 */
export function errorMessage(sentence: string): Message {
  const shown = field(sentence, 1000);
  return { text: shown, blocks: [section(`:warning: ${shown}`)] };
}

export function noticeMessage(mrkdwnSafe: string, note?: string): Message {
  return { text: mrkdwnSafe, blocks: [section(mrkdwnSafe), ...(note ? [context(note)] : [])] };
}
