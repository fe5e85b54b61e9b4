import { buildInventorySources, buildProviders } from '../composition/providers.js';
import { readVendorConfig, type VendorConfig } from '../config/vendors.js';
import type { InventorySource } from '../domain/inventory.js';
import type { Metrics } from '../domain/metrics.js';
import type { Provider, VendorId } from '../domain/provider.js';
import { ConfigError } from '../http/errors.js';
import type { Transport } from '../http/transport.js';
import type { Logger, SecretRedactor } from '../log.js';
import type { VendorDescriptor } from '../providers/descriptor.js';
import { SANDBOXES, type SandboxHandles, type SandboxOptions, type StartedSandbox } from './sandboxes.js';

export interface LocalVendors {
  providers: Provider[];
  /** How each served vendor is read into the inventory, over its provider's client. */
  inventorySources: InventorySource[];
  /** The embedded sandboxes, for the vendors that are not configured. */
  sandboxes: SandboxHandles;
  /** One line per vendor served by its embedded sandbox (or not served at all), for stderr. */
  notes: string[];
  close(): Promise<void>;
}

export interface LocalVendorDeps {
  transport: Transport;
  logger: Logger;
  metrics?: Metrics;
  redactor?: SecretRedactor;
  requestTimeoutMs?: number;
  /** Only these vendors (tests, and a CLI scan of one vendor). @default every configured vendor */
  only?: readonly VendorId[];
  sandboxOptions?: SandboxOptions;
  now?: Date;
  /** A vendor without credentials is an error, not a sandbox (KEYWARDEN_REQUIRE_REAL, `--no-sandbox`). */
  requireReal?: boolean;
}

/**
 * The vendors a local run talks to: the real API where its settings are present, otherwise its embedded sandbox,
 * started in this process on loopback. Either way the provider is built by the vendor's descriptor from field
 * values, as on Lambda.
 */
export async function startLocalVendors(
  config: VendorConfig<VendorDescriptor>,
  deps: LocalVendorDeps,
): Promise<LocalVendors> {
  const wanted = (v: VendorDescriptor) => !deps.only || deps.only.includes(v.id);
  const started: Array<StartedSandbox<unknown>> = [];
  const sandboxes: Record<string, unknown> = {};
  const notes: string[] = [];
  const fromSandboxes: Array<{ vendor: VendorDescriptor; fields: Record<string, string> }> = [];
  const missing = config.unconfigured.filter(wanted);
  if (deps.requireReal && missing.length)
    throw new ConfigError(
      `real vendors only, and ${missing.map((v) => `${v.label} has no ${v.required.join(' or ')}`).join('; ')} (KEYWARDEN_REQUIRE_REAL or --no-sandbox)`,
    );
  try {
    for (const vendor of missing) {
      const spec = (SANDBOXES as Record<string, (typeof SANDBOXES)[keyof typeof SANDBOXES] | undefined>)[
        vendor.id
      ];
      const connection = Object.keys(vendor.fields).filter((n) => !vendor.fields[n]?.option);
      if (!spec) {
        notes.push(
          `${vendor.label}: not configured (set ${connection.join(', ')}) and it has no sandbox; it is left out.`,
        );
        continue;
      }
      const options =
        (deps.sandboxOptions as Record<string, object | undefined> | undefined)?.[vendor.id] ?? {};
      const sb = await (spec as { start(o: object): Promise<StartedSandbox<unknown>> }).start({
        now: deps.now,
        ...options,
      });
      started.push(sb);
      sandboxes[vendor.id] = sb.handle;
      fromSandboxes.push({ vendor, fields: sb.fields });
      notes.push(
        `${vendor.label}: no ${vendor.required.join(' or ')} set, using the embedded sandbox at ${sb.url} (${sb.holds}).`,
      );
    }
    // The sandboxes' values go through the vendors' own schemas, like any setting.
    const sandboxConfig = readVendorConfig(
      fromSandboxes.map((s) => s.vendor),
      { read: (name) => fromSandboxes.find((s) => name in s.fields)?.fields[name] },
    );
    // A sandbox's credentials are redacted like real ones, so a local run shows what production would.
    deps.redactor?.add(...sandboxConfig.secrets);
    const order = new Map(config.all.map((v, i) => [v.id, i]));
    const served = [...config.configured.filter((c) => wanted(c.vendor)), ...sandboxConfig.configured].sort(
      (a, b) => (order.get(a.vendor.id) ?? 0) - (order.get(b.vendor.id) ?? 0),
    );
    const servedConfig = { all: config.all, configured: served, unconfigured: [], secrets: [] };
    const providers = buildProviders(servedConfig, {
      transport: deps.transport,
      logger: deps.logger,
      metrics: deps.metrics,
      requestTimeoutMs: deps.requestTimeoutMs,
      redact: (value) => deps.redactor?.add(value),
    });
    return {
      providers,
      inventorySources: buildInventorySources(servedConfig, providers),
      sandboxes: sandboxes as SandboxHandles,
      notes,
      close: async () => {
        await Promise.all(started.map((s) => s.close()));
      },
    };
  } catch (err) {
    for (const s of started) await s.close().catch(() => undefined);
    throw err;
  }
}
