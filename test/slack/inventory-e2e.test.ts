import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Block } from '../../src/blocks/limits.js';
import { type LocalBot, startLocalBot } from '../../src/local/bot.js';
import { FakeSlack } from '../helpers/fake-slack.js';
import { clock } from '../helpers/idmelon.js';
import { idmelonInventory, MemoryInventory } from '../helpers/inventory.js';
import { blockActionBody, post, signedHeaders, slashCommandBody } from '../helpers/slack-requests.js';

const SIGNING_SECRET = 'inventory-e2e-signing-secret-0123456789';
const BOT_TOKEN = 'xoxb-inventory-e2e-bot-token-0123';
const text = (blocks: unknown): string => JSON.stringify(blocks);
/** The inventory's last refresh: 25 minutes before the test's now (12:00 UTC), 12:35 in Paris. */
const REFRESHED_AT = '2026-11-23T11:35:00.000Z';

describe('/keys stale and /user lookup read from the inventory (local bot, fake Slack, IDmelon sandbox)', () => {
  const slack = new FakeSlack();
  const inventory = new MemoryInventory();
  let bot: LocalBot;

  beforeAll(async () => {
    await slack.start();
    bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1',
        KEYWARDEN_TIMEZONE: 'Europe/Paris',
        KEYWARDEN_INVENTORY_MAX_AGE: '1h',
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      inventory,
    });
    const sandbox = bot.sandbox;
    if (!sandbox) throw new Error('the IDmelon sandbox did not start');
    await inventory.publishSnapshot('idmelon', idmelonInventory(sandbox.workspace), REFRESHED_AT);
  });
  afterAll(async () => {
    await bot.close();
    await slack.close();
  });
  afterEach(() => bot.queue.idle());

  const vendorRequests = () => bot.sandbox?.server.requests.length ?? 0;

  async function command(command: string, commandText: string) {
    const responseUrl = slack.responseUrl();
    const body = slashCommandBody({ command, text: commandText, response_url: responseUrl });
    const res = await post(bot.url, body, signedHeaders(SIGNING_SECRET, body));
    expect(res.status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    return slack.postsTo(responseUrl)[0]?.blocks as Block[];
  }

  async function press(actionId: string, value: string, trigger: string) {
    const responseUrl = slack.responseUrl();
    const body = blockActionBody({
      type: 'block_actions',
      user: { id: 'UADMIN1' },
      team: { id: 'T0001' },
      channel: { id: 'C0ADMINS' },
      container: { type: 'message', channel_id: 'C0ADMINS', is_ephemeral: true },
      response_url: responseUrl,
      trigger_id: trigger,
      actions: [{ action_id: actionId, block_id: 'controls', value, type: 'button' }],
    });
    expect((await post(bot.url, body, signedHeaders(SIGNING_SECRET, body))).status).toBe(200);
    await slack.waitFor(() => slack.postsTo(responseUrl).length > 0);
    return slack.postsTo(responseUrl)[0]?.blocks as Block[];
  }

  function buttonValue(blocks: Block[], actionId: string): string {
    for (const b of blocks)
      for (const e of (b.elements as Array<{ action_id?: string; value?: string }> | undefined) ?? [])
        if (e.action_id === actionId && e.value) return e.value;
    throw new Error(`no ${actionId} button`);
  }

  it('answers /keys stale 90 from a fresh inventory without asking IDmelon, as of its refresh', async () => {
    const before = vendorRequests();
    const blocks = await command('/keys', 'stale 90');
    expect(vendorRequests()).toBe(before);
    expect(text(blocks)).toContain('IDmelon from the inventory, as of 12:35');
    expect(text(blocks)).toContain('"action_id":"stale_live"');
  });

  it('"Read live" runs the same list again, asking IDmelon', async () => {
    const first = await command('/keys', 'stale 90 phone');
    const value = buttonValue(first, 'stale_live');
    await bot.queue.idle();
    expect(JSON.parse(value)).toMatchObject({ days: 90, type: 'phone', vendor: 'idmelon', live: true });
    const before = vendorRequests();
    const blocks = await press('stale_live', value, 'trigger-read-live-1');
    expect(vendorRequests()).toBeGreaterThan(before);
    expect(text(blocks)).toContain('Keys unused for 90+ days (phone, idmelon only)');
    expect(text(blocks)).toContain('read live, as asked');
    expect(text(blocks)).not.toContain('from the inventory');
    expect(text(blocks)).not.toContain('"action_id":"stale_live"');
  });

  it('/keys stale 90 --live asks IDmelon', async () => {
    const before = vendorRequests();
    const blocks = await command('/keys', 'stale 90 --live');
    expect(vendorRequests()).toBeGreaterThan(before);
    expect(text(blocks)).toContain('read live, as asked');
  });

  it('/user lookup finds the person in the inventory and reads their keys live, with a Read live button', async () => {
    const blocks = await command('/user', 'lookup alice@acme.example');
    expect(text(blocks)).toContain('Alice Anders');
    expect(text(blocks)).toContain('IDmelon: found from the inventory, as of 12:35; keys read live');
    const value = buttonValue(blocks, 'lookup_live');
    expect(JSON.parse(value)).toEqual({ q: 'alice@acme.example' });
    // The first lookup gives its work slot back just after answering.
    await bot.queue.idle();
    const again = await press('lookup_live', value, 'trigger-lookup-live-1');
    expect(text(again)).toContain('Alice Anders');
    expect(text(again)).toContain('IDmelon: read live, as asked');
    expect(text(again)).not.toContain('lookup_live');
  });

  it('refuses an inventory older than KEYWARDEN_INVENTORY_MAX_AGE and says why under the list', async () => {
    const sandbox = bot.sandbox;
    if (!sandbox) throw new Error('no sandbox');
    await inventory.publishSnapshot(
      'idmelon',
      idmelonInventory(sandbox.workspace),
      '2026-11-23T09:00:00.000Z',
      'g-old',
    );
    const before = vendorRequests();
    const blocks = await command('/keys', 'stale 90');
    expect(vendorRequests()).toBeGreaterThan(before);
    expect(text(blocks)).toContain('the inventory is 3 h old, older than 1 h: read live');
    expect(text(blocks)).not.toContain('"action_id":"stale_live"');
  });
});

describe('a vendor string kept in the inventory (local bot, real inventory table, IDmelon sandbox)', () => {
  it('shows a hostile key name literally when the list is read from the inventory', async () => {
    const slack = new FakeSlack();
    await slack.start();
    const bot = await startLocalBot({
      env: {
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_API_URL: slack.apiUrl,
        KEYWARDEN_ADMINS: 'UADMIN1',
      },
      port: 0,
      dataDir: null,
      clock,
      vendors: ['idmelon'],
      sandbox: { users: 10, keys: 30, logs: 0 },
      keepInventory: true,
      inventoryRefreshEveryMs: 0,
      archiveEveryMs: 0,
      sweepEveryMs: 0,
      policyCheckEveryMs: 0,
    });
    try {
      const sandbox = bot.sandbox;
      if (!sandbox) throw new Error('the IDmelon sandbox did not start');
      for (const k of sandbox.workspace.keys) k.name = '<!channel> *now* <https://evil.example|click>';
      const [synced] = await bot.inventory.syncNow('idmelon');
      expect(synced?.published).toBe(true);
      sandbox.server.clearLog();
      const responseUrl = slack.responseUrl();
      const body = slashCommandBody({ command: '/keys', text: 'stale 90', response_url: responseUrl });
      await post(bot.url, body, signedHeaders(SIGNING_SECRET, body));
      await bot.queue.idle();
      // What Slack displays: every block but the buttons' values, which are data sent back to Keywarden, never shown.
      const shown = JSON.stringify(slack.postsTo(responseUrl).at(-1)?.blocks, (k, v) =>
        k === 'value' ? undefined : v,
      );
      // Read from the inventory, not the vendor: what is shown went through the table and back.
      expect(sandbox.server.requests).toHaveLength(0);
      expect(shown).toContain('from the inventory');
      expect(shown).toContain('&lt;!channel&gt;');
      expect(shown).not.toContain('<!channel>');
      expect(shown).not.toContain('<https://evil.example');
    } finally {
      await bot.close();
      await slack.close();
    }
  });
});
