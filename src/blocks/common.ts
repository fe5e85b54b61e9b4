import { KEYS_USAGE, USER_USAGE } from '../commands/grammar.js';
import { context, type Message, section } from './kit.js';
import { escapeMrkdwn, field } from './mrkdwn.js';

export function helpMessage(which: 'keys' | 'user'): Message {
  const usage = which === 'keys' ? KEYS_USAGE : USER_USAGE;
  return { text: usage, blocks: [section(`\`\`\`${escapeMrkdwn(usage)}\`\`\``)] };
}

/** A usage error: the problem named on the first line, then the usage. */
export function usageMessage(problem: string, which: 'keys' | 'user'): Message {
  const usage = which === 'keys' ? KEYS_USAGE : USER_USAGE;
  return {
    text: `${problem}\n${usage}`,
    blocks: [
      section(`:grey_question: ${field(problem, 300)}`),
      section(`\`\`\`${escapeMrkdwn(usage)}\`\`\``),
    ],
  };
}

/** Something failed: one plain sentence, never a stack trace. */
export function errorMessage(sentence: string): Message {
  return { text: sentence, blocks: [section(`:warning: ${field(sentence, 1000)}`)] };
}

export function noticeMessage(mrkdwnSafe: string, note?: string): Message {
  return { text: mrkdwnSafe, blocks: [section(mrkdwnSafe), ...(note ? [context(note)] : [])] };
}
