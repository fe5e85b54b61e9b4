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
