import { join } from 'node:path';
import { loadSettings } from '../config/settings.js';
import type { Clock } from '../domain/clock.js';
import type { InventorySource, InventoryStatus } from '../domain/inventory.js';
import type { Transport } from '../http/transport.js';
import type { LocalBot } from '../local/bot.js';
import { startLocalDynamo } from '../local/dynamo.js';
import type { VendorRegistry } from '../providers/registry.js';
import type { SyncSummary } from '../services/inventory.js';
import { InventoryTable } from '../store/inventory.js';
import { documentClient } from '../store/table.js';
import { escapeJsonForTerminal, terminalLines, terminalText } from '../util/text-safety.js';
import { startCommandBot } from './command-bot.js';

/**
 * `keywarden inventory sync [--vendor V]` runs a full sync in this process, on this machine's store (`.keywarden/`),
 * as the queued jobs do on AWS; `keywarden inventory status` says what each vendor's inventory holds and any build
 * under way.
 */
export interface InventoryIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  dataDir?: string | null;
  clock?: Clock;
  transport?: Transport;
  registry: VendorRegistry;
  debug?: boolean;
  /** How each vendor is read, given the local bot (its sandboxes); by default the vendors' own sources. */
  inventorySources?: (bot: LocalBot) => Promise<InventorySource[]>;
}

const plural = (n: number, word: string, many = `${word}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? word : many}`;

export function syncLine(s: SyncSummary): string {
  const took = `${(s.ms / 1000).toFixed(1)} s`;
  if (s.outcome === 'busy') return `${s.vendor}: another sync is under way (${took}); nothing done`;
  if (s.outcome === 'published')
    return `${s.vendor}: a build left unfinished had every range stored; published generation ${s.generation}`;
  const what = s.outcome === 'resumed' ? 'resumed a build left unfinished' : 'synced';
  return `${s.vendor}: ${what}: ${plural(s.keys, 'key')}, ${plural(s.people, 'person', 'people')} in ${plural(s.ranges, 'range')} (${plural(s.requests, 'request')}), generation ${s.generation}, ${took}${s.published ? '' : ' (not published)'}`;
}

export function statusLines(s: InventoryStatus): string[] {
  const lines: string[] = [];
  if (s.current)
    lines.push(
      `${s.vendor}: generation ${s.current.generation}, synced ${s.current.syncedAt}, refreshed ${s.current.refreshedAt}, ${plural(s.current.keys, 'key')}, ${plural(s.current.people, 'person', 'people')}`,
    );
  else lines.push(`${s.vendor}: no inventory yet (run keywarden inventory sync)`);
  if (s.building)
    lines.push(
      `  building ${s.building.generation} since ${s.building.startedAt}: ${s.building.done} of ${s.building.ranges} ranges stored, last active ${s.building.activeAt}`,
    );
  return lines;
}

export async function runInventorySyncNow(
  io: InventoryIo,
  vendor: string | undefined,
  json: boolean,
): Promise<number> {
  let bot: LocalBot | undefined;
  let sources: InventorySource[] = [];
  try {
    bot = await startCommandBot(io, {
      registry: io.registry,
      debug: io.debug ?? false,
      vendors: vendor ? [vendor] : undefined,
      archiveEveryMs: 0,
      inventoryRefreshEveryMs: 0,
      inventorySources: async () => sources,
    });
    sources = io.inventorySources ? await io.inventorySources(bot) : bot.inventory.vendorSources;
    if (sources.length === 0) {
      io.stderr('keywarden: no configured vendor has an inventory source\n');
      return 1;
    }
    const results = await bot.inventory.syncNow(vendor);
    if (json) io.stdout(`${escapeJsonForTerminal(JSON.stringify(results, null, 2))}\n`);
    else for (const r of results) io.stdout(`${terminalText(syncLine(r))}\n`);
    return results.every((r) => r.published || r.outcome === 'busy') ? 0 : 1;
  } finally {
    await bot?.close();
  }
}

export async function runInventoryStatus(
  io: InventoryIo,
  vendor: string | undefined,
  json: boolean,
): Promise<number> {
  const settings = loadSettings(io.env);
  const path = io.dataDir === undefined ? join(process.cwd(), '.keywarden', 'dynamodb') : io.dataDir;
  const dynamo = await startLocalDynamo({ table: settings.table, path: path ?? undefined });
  try {
    const store = new InventoryTable(documentClient(dynamo.client), { table: settings.table });
    const vendors = vendor ? [vendor] : io.registry.ids;
    const statuses = await Promise.all(vendors.map((v) => store.status(v)));
    if (json) io.stdout(`${escapeJsonForTerminal(JSON.stringify(statuses, null, 2))}\n`);
    else for (const s of statuses) io.stdout(`${terminalLines(statusLines(s).join('\n'))}\n`);
    return 0;
  } finally {
    await dynamo.close();
  }
}
