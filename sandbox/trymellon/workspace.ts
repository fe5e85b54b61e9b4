import { DAY_MS } from '../../src/domain/clock.js';
import { pick, seededRandom, weighted } from '../random.js';

/** A deterministic TryMellon application: users (by external id), their passkeys, and the audit log. */
export interface TmUser {
  id: string;
  external_user_id: string;
  status: 'active' | 'disabled';
  created_at: string;
}

export interface TmCredential {
  credential_id: string;
  userExternalId: string;
  status: 'active' | 'revoked';
  alias: string;
  transports: string[];
  attestation_type: string;
  created_at: string;
  last_used_at: string | null;
}

export interface TmAuditEvent {
  id: string;
  event: string;
  success: boolean;
  user_id: string | null;
  ip_address: string;
  metadata: Record<string, unknown>;
  created_at: string;
}

export interface TryMellonSeedOptions {
  seed?: number;
  /** @default 500 */
  users?: number;
  /** @default 5000 */
  events?: number;
  /** Events are spread over this many days before `now`. @default 60 */
  eventDays?: number;
  now?: Date;
}

export interface TryMellonWorkspace {
  now: Date;
  users: TmUser[];
  credentials: TmCredential[];
  /** Newest first. */
  events: TmAuditEvent[];
}

const NAMES = [
  'alice',
  'bob',
  'carol',
  'dan',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
];
const DEVICES = [
  'Touch ID — iPhone 15',
  'Windows Hello',
  'YubiKey 5C',
  'Pixel passkey',
  'iCloud Keychain',
  'Mallory <!channel> key',
];
const EVENTS: ReadonlyArray<readonly [string, number]> = [
  ['auth.success', 70],
  ['auth.failed', 8],
  ['passkey.registered', 5],
  ['registration.started', 5],
  ['credential.revoked', 2],
  ['credential.lockout', 1],
  ['credential.replay_detected', 0.5],
  ['attestation.policy.violation', 0.5],
  ['authorization.denied', 1],
  ['user.created', 3],
  ['application.config_changed', 0.5],
];

/** A UUID from the seeded generator, so ids (and cursors) repeat from run to run. */
function uuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function generateTryMellonWorkspace(options: TryMellonSeedOptions = {}): TryMellonWorkspace {
  const random = seededRandom(options.seed ?? 7);
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const iso = (ms: number) => new Date(ms).toISOString();
  const users: TmUser[] = [];
  const credentials: TmCredential[] = [];
  const count = options.users ?? 500;
  for (let i = 0; i < count; i++) {
    const external = i === 0 ? 'alice@acme.example' : `${pick(random, NAMES)}.${i}@acme.example`;
    users.push({
      id: uuid(random),
      external_user_id: external,
      status: random() < 0.97 ? 'active' : 'disabled',
      created_at: iso(nowMs - (30 + random() * 600) * DAY_MS),
    });
    const n = i === 0 ? 2 : 1 + Math.floor(random() * 3);
    for (let j = 0; j < n; j++) {
      const r = random();
      // Alice has one passkey used yesterday and one idle for 200 days, for the README and the tests.
      const last =
        i === 0
          ? j === 0
            ? nowMs - DAY_MS
            : nowMs - 200 * DAY_MS
          : r < 0.06
            ? null
            : r < 0.16
              ? nowMs - (91 + random() * 500) * DAY_MS
              : nowMs - random() * 89 * DAY_MS;
      credentials.push({
        credential_id: `cred_${uuid(random).replace(/-/g, '').slice(0, 16)}`,
        userExternalId: external,
        status: i > 0 && random() < 0.05 ? 'revoked' : 'active',
        alias: pick(random, DEVICES),
        transports: [pick(random, ['internal', 'usb', 'hybrid', 'nfc'])],
        attestation_type: pick(random, ['none', 'packed', 'apple']),
        created_at: iso(nowMs - (200 + random() * 400) * DAY_MS),
        last_used_at: last === null ? null : iso(last),
      });
    }
  }
  const events: TmAuditEvent[] = [];
  const eventCount = options.events ?? 5000;
  const window = (options.eventDays ?? 60) * DAY_MS;
  for (let i = 0; i < eventCount; i++) {
    const event = weighted(random, EVENTS);
    events.push({
      id: uuid(random),
      event,
      success: !/failed|denied|violation|replay|lockout/.test(event),
      user_id: users.length ? pick(random, users).id : null,
      ip_address: `203.0.113.${Math.floor(random() * 255)}`,
      metadata: {},
      created_at: iso(nowMs - Math.floor(random() * window)),
    });
  }
  events.sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  return { now, users, credentials, events };
}
