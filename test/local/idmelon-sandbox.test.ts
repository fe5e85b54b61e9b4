import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import { generateWorkspace } from '../../sandbox/idmelon/workspace.js';
import { NOW } from '../helpers/idmelon.js';

/** The sandbox is only useful if it behaves as IDmelon's docs say; these pin that down with plain fetch. */
describe('IDmelon sandbox', () => {
  let sb: IdmelonSandbox;
  const get = (path: string, auth: string | null = sb.apiKey, init: RequestInit = {}) =>
    fetch(`${sb.url}${path}`, {
      ...init,
      headers: { ...(auth === null ? {} : { authorization: auth }), ...init.headers },
    });

  // biome-ignore lint/suspicious/noExplicitAny: these tests read the sandbox's raw JSON, whatever its shape
  const json = async (path: string): Promise<any> => (await get(path)).json();

  beforeAll(async () => {
    sb = await startIdmelonSandbox({ now: NOW, users: 300, keys: 900, logs: 2000 });
  });
  afterAll(async () => {
    await sb.close();
  });

  it('is the same workspace for the same seed', () => {
    const a = generateWorkspace({ now: NOW, users: 50, keys: 100, logs: 100 });
    const b = generateWorkspace({ now: NOW, users: 50, keys: 100, logs: 100 });
    expect(a).toEqual(b);
  });

  it('seeds names that would ping or break Slack markup', () => {
    const big = generateWorkspace({ now: NOW });
    expect(big.users.some((u) => u.name.includes('<!channel>'))).toBe(true);
    expect(big.users.some((u) => u.name.includes('&'))).toBe(true);
  });

  it('answers 401 without the raw key, and to a "Bearer" key', async () => {
    expect((await get('/users', null)).status).toBe(401);
    expect((await get('/users', `Bearer ${sb.apiKey}`)).status).toBe(401);
    expect((await get('/users')).status).toBe(200);
  });

  it('caps pages at 100 and echoes the effective limit, with total', async () => {
    const body = await json('/administrator/securityDevice?status=20&limit=500&skip=0');
    expect(body.limit).toBe(100);
    expect(body.data).toHaveLength(100);
    expect(body.total).toBe(sb.workspace.keys.filter((k) => k.status === 20).length);
    expect(Object.values(body.statistics as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(
      body.total,
    );
  });

  it('sorts never-used keys first on ascend and last on descend', async () => {
    const asc = await json('/administrator/securityDevice?status=20&limit=100&sort=lastActivity,ascend');
    expect(asc.data[0].lastActivity).toBeUndefined();
    const times = asc.data
      .filter((k: { lastActivity?: unknown }) => k.lastActivity)
      .map((k: { lastActivity: { createdAt: string } }) => k.lastActivity.createdAt);
    expect(times).toEqual([...times].sort());
    const desc = await json('/administrator/securityDevice?status=20&limit=1&sort=lastActivity,descend');
    expect(desc.data[0].lastActivity.createdAt >= times[times.length - 1]).toBe(true);
  });

  it('filters logs by action, relying party (name or domain) and an inclusive date range, newest first', async () => {
    const from = new Date(NOW.getTime() - 7 * 86_400_000).toISOString();
    const to = NOW.toISOString();
    const byName = await json(
      `/administrator/workspace/activity/logs?action=2&rp=paypal&from=${from}&to=${to}&limit=50`,
    );
    const byDomain = await json(
      `/administrator/workspace/activity/logs?action=2&rp=paypal.com&from=${from}&to=${to}&limit=1`,
    );
    const want = sb.workspace.logs.filter(
      (l) => l.action === 2 && l.rpInfo.id === 'paypal.com' && l.createdAt >= from && l.createdAt <= to,
    );
    expect(byName.total).toBe(want.length);
    expect(byDomain.total).toBe(want.length);
    expect(byName.data[0]).toMatchObject({ createdAt: want[0]?.createdAt });
  });

  it('deletes one key only when _id repeats the path id, and 404s a key already gone', async () => {
    const id = sb.workspace.keys[10]?._id as string;
    expect((await get(`/administrator/securityDevice/${id}`, sb.apiKey, { method: 'DELETE' })).status).toBe(
      400,
    );
    const first = await get(`/administrator/securityDevice/${id}?_id=${id}`, sb.apiKey, { method: 'DELETE' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ message: "The user's security key has been successfully deleted." });
    expect(
      (await get(`/administrator/securityDevice/${id}?_id=${id}`, sb.apiKey, { method: 'DELETE' })).status,
    ).toBe(404);
  });

  it('deletes keys in bulk by _ids on the collection path', async () => {
    const ids = sb.workspace.keys.slice(20, 25).map((k) => k._id);
    const before = sb.workspace.keys.length;
    const res = await get('/administrator/securityDevice/', sb.apiKey, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ _ids: ids }),
    });
    expect(res.status).toBe(200);
    expect(sb.workspace.keys.length).toBe(before - 5);
    const listed = await json('/administrator/securityDevice?limit=100&skip=0');
    expect(listed.total).toBe(before - 5);
  });

  it('reports the All Users counters in the users list', async () => {
    const body = await json('/administrator/tokens/v2?limit=10');
    const users = sb.workspace.users;
    expect(body.details).toMatchObject({
      activeTokens: users.filter((u) => u.status === 'active').length,
      pendingTokens: users.filter((u) => u.status === 'pending').length,
    });
    expect(body.total).toBe(users.length);
  });

  it('refuses an unknown timezone on statistics', async () => {
    expect((await get('/administrator/statistics/login?timezone=Mars/Olympus')).status).toBe(400);
    expect((await get('/administrator/statistics/login?timezone=America/Vancouver')).status).toBe(200);
  });
});
