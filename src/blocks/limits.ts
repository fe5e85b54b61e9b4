/**
 * Slack's Block Kit limits (https://api.slack.com/reference/block-kit). A message over any of them is refused
 * with `invalid_blocks` or `msg_blocks_too_long`, so renderers stay inside them and tests check every message.
 */
export const LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  headerText: 150,
  contextElements: 10,
  contextText: 2000,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  actionsElements: 25,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  messageText: 40_000,
} as const;

export type Block = Record<string, unknown>;

interface TextObject {
  type: string;
  text: string;
}

/** Every way `blocks` breaks Slack's limits; empty when the message is valid. */
export function blockLimitViolations(
  blocks: readonly Block[],
  surface: 'message' | 'view' = 'message',
): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  // A message holds 50 blocks; a Home tab or a modal 100.
  const max = surface === 'message' ? LIMITS.blocksPerMessage : 100;
  check(blocks.length <= max, `${blocks.length} blocks (max ${max})`);
  const checkElement = (el: Record<string, unknown>, where: string) => {
    if (typeof el.action_id === 'string')
      check(el.action_id.length <= LIMITS.actionId, `${where}: action_id too long`);
    if (el.type === 'button') {
      const text = el.text as TextObject;
      check(text.type === 'plain_text', `${where}: button text must be plain_text`);
      check(text.text.length <= LIMITS.buttonText, `${where}: button text ${text.text.length} chars`);
      if (typeof el.value === 'string')
        check(el.value.length <= LIMITS.buttonValue, `${where}: button value ${el.value.length} chars`);
      const confirm = el.confirm as Record<string, TextObject> | undefined;
      if (confirm) {
        check(
          confirm.title !== undefined && confirm.title.text.length <= LIMITS.confirmTitle,
          `${where}: confirm title`,
        );
        check(
          confirm.text !== undefined && confirm.text.text.length <= LIMITS.confirmText,
          `${where}: confirm text`,
        );
        check(
          confirm.confirm !== undefined && confirm.confirm.text.length <= LIMITS.confirmButton,
          `${where}: confirm button`,
        );
        check(
          confirm.deny !== undefined && confirm.deny.text.length <= LIMITS.confirmButton,
          `${where}: deny button`,
        );
      }
    }
  };
  blocks.forEach((block, i) => {
    const where = `block ${i} (${String(block.type)})`;
    if (typeof block.block_id === 'string')
      check(block.block_id.length <= LIMITS.blockId, `${where}: block_id too long`);
    switch (block.type) {
      case 'section': {
        const text = block.text as TextObject | undefined;
        const fields = block.fields as TextObject[] | undefined;
        check(text !== undefined || fields !== undefined, `${where}: needs text or fields`);
        if (text)
          check(
            text.text.length > 0 && text.text.length <= LIMITS.sectionText,
            `${where}: text ${text.text.length} chars`,
          );
        if (fields) {
          check(fields.length <= LIMITS.sectionFields, `${where}: ${fields.length} fields`);
          for (const f of fields)
            check(f.text.length <= LIMITS.fieldText, `${where}: field ${f.text.length} chars`);
        }
        if (block.accessory) checkElement(block.accessory as Record<string, unknown>, `${where} accessory`);
        break;
      }
      case 'header': {
        const text = block.text as TextObject;
        check(text.type === 'plain_text' && text.text.length <= LIMITS.headerText, `${where}: header text`);
        break;
      }
      case 'context': {
        const elements = block.elements as TextObject[];
        check(
          elements.length >= 1 && elements.length <= LIMITS.contextElements,
          `${where}: ${elements.length} elements`,
        );
        for (const e of elements)
          check(e.text.length <= LIMITS.contextText, `${where}: element ${e.text.length} chars`);
        break;
      }
      case 'actions': {
        const elements = block.elements as Array<Record<string, unknown>>;
        check(
          elements.length >= 1 && elements.length <= LIMITS.actionsElements,
          `${where}: ${elements.length} elements`,
        );
        const ids = elements.map((e) => e.action_id);
        check(new Set(ids).size === ids.length, `${where}: duplicate action_id`);
        for (const [j, e] of elements.entries()) checkElement(e, `${where} element ${j}`);
        break;
      }
      case 'divider':
        break;
      default:
        problems.push(`${where}: unexpected block type`);
    }
  });
  return problems;
}

/** Slack's limits on a modal (https://api.slack.com/reference/surfaces/views). */
export const VIEW_LIMITS = {
  blocks: 100,
  titleText: 24,
  buttonText: 24,
  privateMetadata: 3000,
  callbackId: 255,
  label: 2000,
  hint: 2000,
  inputLength: 3000,
  options: 100,
  optionText: 75,
  optionValue: 150,
} as const;

/** Every way a modal breaks Slack's limits; empty when `views.open` would take it. */
export function viewLimitViolations(view: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const textOf = (v: unknown) => (v as TextObject | undefined)?.text;
  const title = textOf(view.title);
  check(
    typeof title === 'string' && title.length > 0 && title.length <= VIEW_LIMITS.titleText,
    'title (1 to 24 chars)',
  );
  for (const k of ['submit', 'close']) {
    const t = textOf(view[k]);
    check(t === undefined || t.length <= VIEW_LIMITS.buttonText, `${k} text`);
  }
  if (typeof view.private_metadata === 'string')
    check(view.private_metadata.length <= VIEW_LIMITS.privateMetadata, 'private_metadata too long');
  if (typeof view.callback_id === 'string')
    check(view.callback_id.length <= VIEW_LIMITS.callbackId, 'callback_id too long');
  const blocks = (view.blocks ?? []) as Block[];
  check(blocks.length <= VIEW_LIMITS.blocks, `${blocks.length} blocks (max ${VIEW_LIMITS.blocks})`);
  blocks.forEach((block, i) => {
    const where = `block ${i} (${String(block.type)})`;
    if (block.type !== 'input') {
      for (const p of blockLimitViolations([block])) problems.push(p.replace(/^block 0/, `block ${i}`));
      return;
    }
    if (typeof block.block_id === 'string')
      check(block.block_id.length <= LIMITS.blockId, `${where}: block_id too long`);
    const label = textOf(block.label);
    check(typeof label === 'string' && label.length <= VIEW_LIMITS.label, `${where}: label`);
    const hint = textOf(block.hint);
    check(hint === undefined || hint.length <= VIEW_LIMITS.hint, `${where}: hint`);
    const el = (block.element ?? {}) as Record<string, unknown>;
    if (typeof el.action_id === 'string')
      check(el.action_id.length <= LIMITS.actionId, `${where}: action_id too long`);
    if (el.type === 'plain_text_input') {
      const min = (el.min_length as number | undefined) ?? 0;
      const max = (el.max_length as number | undefined) ?? VIEW_LIMITS.inputLength;
      check(min >= 0 && min <= max && max <= VIEW_LIMITS.inputLength, `${where}: input length`);
    }
    if (Array.isArray(el.options)) {
      const options = el.options as Array<{ text: TextObject; value: string }>;
      check(options.length <= VIEW_LIMITS.options, `${where}: ${options.length} options`);
      for (const o of options)
        check(
          o.text.text.length <= VIEW_LIMITS.optionText && o.value.length <= VIEW_LIMITS.optionValue,
          `${where}: option too long`,
        );
    }
  });
  return problems;
}
