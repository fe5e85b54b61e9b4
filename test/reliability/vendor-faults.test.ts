import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdmelonSandbox, startIdmelonSandbox } from '../../sandbox/idmelon/index.js';
import type { FaultRule, SandboxRequest } from '../../sandbox/server.js';
import { startTryMellonSandbox } from '../../sandbox/trymellon/index.js';
import { fixedClock } from '../../src/domain/clock.js';
import { staticSecret } from '../../src/http/credentials.js';
import { undiciTransport } from '../../src/http/transport.js';
import { jsonLogger } from '../../src/log.js';
import { createIdmelonProvider } from '../../src/providers/idmelon/index.js';
import { createTryMellonProvider } from '../../src/providers/trymellon/index.js';
import { buildDigest } from '../../src/services/digest.js';
import { lookupUser } from '../../src/services/lookup.js';
import {
  type CreatedRequest,
  createRequests,
  decide,
  executeRequest,
} from '../../src/services/revocation.js';
import { scanStaleKeys } from '../../src/services/stale.js';
import { RequestStore } from '../../src/store/requests.js';
import { documentClient } from '../../src/store/table.js';
import { localTable } from '../helpers/dynamo.js';
import { fastRetry, NOW } from '../helpers/idmelon.js';

/** Requests that cover one vendor make exactly one request. */
async function createOne(...args: Parameters<typeof createRequests>): Promise<CreatedRequest> {
  const created = await createRequests(...args);
  if (created.length !== 1) throw new Error(`expected one request, got ${created.length}`);
  return created[0] as CreatedRequest;
}

/**
 * Every call path against every vendor fault: the command ends with the right result (the fault was transient, or
 * harmless) or with one clear sentence; never a stack trace, never an unhandled rejection, and never a partial
 * revocation reported as done.
 */
type Path = 'stale' | 'lookup' | 'revoke' | 'digest' | 'token';
type Fault =
  | 'retry-after 429'
  | '500'
  | '502'
  | '503'
  | 'reset'
  | 'slow'
  | 'malformed'
  | 'missing field'
  | 'page cap 7'
  | 'down (503 always)';
type Outcome = { ok: true; value: string } | { ok: false; message: string };

const PATHS: Path[] = ['stale', 'lookup', 'revoke', 'digest', 'token'];
const FAULTS: Fault[] = [
  'retry-after 429',
  '500',
  '502',
  '503',
  'reset',
  'slow',
  'malformed',
  'missing field',
  'page cap 7',
  'down (503 always)',
];
/** Cells that must end in a clear message rather than the right result: the fault is not transient. */
const MESSAGE: Record<Path, Fault[]> = {
  stale: ['missing field', 'down (503 always)'],
  lookup: ['missing field', 'down (503 always)'],
  revoke: ['down (503 always)'],
  digest: ['missing field', 'down (503 always)'],
  token: ['missing field', 'down (503 always)'],
};

const REQUEST_TIMEOUT_MS = 300;
const logger = jsonLogger({ level: 'debug' });
const transport = undiciTransport();
const unhandled: unknown[] = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));

/** JSON with sorted keys: the digest's parts finish in any order. */
function stable(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** Drops `total` and every `_id`/`access_token`: a response missing fields the code relies on. */
function dropFields(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(dropFields);
  if (body && typeof body === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body))
      if (!['total', '_id', 'access_token', 'external_user_id'].includes(k)) out[k] = dropFields(v);
    return out;
  }
  return body;
}

function rule(fault: Fault, match: (r: SandboxRequest) => boolean): FaultRule | undefined {
  switch (fault) {
    case 'retry-after 429':
      return { fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, times: 1, match };
    case '500':
    case '502':
    case '503':
      return { fault: { kind: 'status', status: Number(fault) }, times: 1, match };
    case 'reset':
      return { fault: { kind: 'reset' }, times: 1, match };
    case 'slow':
      return { fault: { kind: 'delay', ms: REQUEST_TIMEOUT_MS * 3 }, times: 1, match };
    case 'malformed':
      return { fault: { kind: 'malformed' }, times: 1, match };
    case 'missing field':
      return { fault: { kind: 'transform', transform: dropFields }, match };
    case 'down (503 always)':
      return { fault: { kind: 'status', status: 503 }, match };
    case 'page cap 7':
      return undefined;
  }
}

async function idmelon(fault: Fault) {
  const sandbox = await startIdmelonSandbox({
    now: NOW,
    users: 60,
    keys: 200,
    logs: 400,
    pageCap: fault === 'page cap 7' ? 7 : 100,
  });
  const provider = createIdmelonProvider({
    baseUrl: sandbox.url,
    apiKey: staticSecret(sandbox.apiKey),
    transport,
    retry: fastRetry,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    sleep: async () => {},
  });
  return { sandbox, provider };
}

async function run(path: Path, fault: Fault, db: Awaited<ReturnType<typeof localTable>>): Promise<Outcome> {
  const clock = fixedClock(NOW);
  if (path === 'token') {
    const sb = await startTryMellonSandbox({ now: NOW, users: 5, events: 10 });
    try {
      const r = rule(fault, (q) => q.path === '/oauth/token');
      if (r) sb.inject(r);
      const p = createTryMellonProvider({
        baseUrl: sb.url,
        clientId: staticSecret(sb.clientId),
        clientSecret: staticSecret(sb.clientSecret),
        transport,
        retry: fastRetry,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        sleep: async () => {},
      });
      const report = await lookupUser([p], 'alice@acme.example');
      const res = report.results[0];
      return res?.kind === 'failed'
        ? { ok: false, message: res.failure.message }
        : { ok: true, value: `${res?.kind}:${res?.kind === 'found' ? res.profile.keys.length : ''}` };
    } finally {
      await sb.close();
    }
  }

  const { sandbox, provider } = await idmelon(fault);
  try {
    const inject = (match: (r: SandboxRequest) => boolean) => {
      const r = rule(fault, match);
      if (r) sandbox.inject(r);
    };
    switch (path) {
      case 'stale': {
        inject((q) => q.path === '/administrator/securityDevice');
        const s = (await scanStaleKeys([provider], { days: 90, clock })).sections[0];
        return s?.failure
          ? { ok: false, message: s.failure.message }
          : {
              ok: true,
              value: [...(s?.stale ?? []), ...(s?.neverUsed ?? [])]
                .map((k) => k.id)
                .sort()
                .join(),
            };
      }
      case 'lookup': {
        inject(() => true);
        const r = (await lookupUser([provider], 'alice@acme.example')).results[0];
        return r?.kind === 'failed'
          ? { ok: false, message: r.failure.message }
          : {
              ok: true,
              value:
                r?.kind === 'found'
                  ? r.profile.keys
                      .map((k) => k.id)
                      .sort()
                      .join()
                  : String(r?.kind),
            };
      }
      case 'digest': {
        inject(() => true);
        const report = await buildDigest([provider], { clock, timeZone: 'UTC', staleDays: 90, logger });
        const unavailable = report.sections[0]?.parts.filter((p) => p.unavailable) ?? [];
        if (unavailable.length) return { ok: false, message: unavailable[0]?.unavailable as string };
        return { ok: true, value: stable(report.sections[0]?.data) };
      }
      case 'revoke': {
        const store = new RequestStore(documentClient(db.client), {
          table: db.table,
          clock,
        });
        const deps = { store, providers: [provider], clock, logger, dryRun: false };
        const key = sandbox.workspace.keys.find(
          (k) => k.status === 20,
        ) as IdmelonSandbox['workspace']['keys'][number];
        const { request } = await createOne(
          { kind: 'keys', refs: [{ vendor: 'idmelon', id: key._id, ownerId: key.ownerId }] },
          { requester: 'U1', ttlHours: 1 },
          deps,
        );
        await decide(store, request.id, 'U2', 'approve');
        inject((q) => q.method === 'DELETE');
        const result = await executeRequest(request.id, deps);
        const gone = !sandbox.workspace.keys.some((k) => k._id === key._id);
        expect(sandbox.routes.deletions.length).toBeLessThanOrEqual(1);
        if (result.kind === 'partial') {
          expect(result.request.state).not.toBe('done');
          return { ok: false, message: result.error };
        }
        expect(result.kind).toBe('done');
        return { ok: true, value: `gone=${gone}` };
      }
    }
  } finally {
    await sandbox.close();
  }
}

describe('vendor fault matrix', () => {
  let db: Awaited<ReturnType<typeof localTable>>;
  const baselines = new Map<Path, Promise<Outcome>>();
  /** The fault-free outcome of a path, computed once by whichever test needs it first (so each passes alone). */
  const baseline = (path: Path) => {
    let b = baselines.get(path);
    if (!b) {
      b = run(path, 'none' as Fault, db);
      baselines.set(path, b);
    }
    return b;
  };

  beforeAll(async () => {
    db = await localTable();
  });
  afterAll(async () => {
    await db?.close();
    await transport.close();
    expect(unhandled).toEqual([]);
  });

  for (const path of PATHS) {
    describe(path, () => {
      it('has a fault-free baseline', async () => {
        expect((await baseline(path)).ok).toBe(true);
      });

      for (const fault of FAULTS) {
        const wantsMessage = MESSAGE[path].includes(fault);
        it(`${fault}: ${wantsMessage ? 'one clear sentence' : 'the right result'}`, async () => {
          const outcome = await run(path, fault, db);
          if (wantsMessage) {
            expect(outcome.ok).toBe(false);
            if (!outcome.ok) {
              expect(outcome.message).not.toMatch(/\n|\bat .*\(|Error:/);
              expect(outcome.message.length).toBeLessThan(300);
              expect(outcome.message).toMatch(/IDmelon|TryMellon/);
            }
          } else {
            expect(outcome).toEqual(await baseline(path));
          }
        });
      }
    });
  }
});
