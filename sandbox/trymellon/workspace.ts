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
export function uuid(random: () => number): string {
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

/**
 * What happens in the application after it was generated, each recorded in the audit log as TryMellon does: the
 * change itself, and its event, newest first. Times default to just after the newest event (or the real time, if
 * later), so an action taken now is always the log's newest.
 */
export class TryMellonActivity {
  private added = 0;

  constructor(readonly workspace: TryMellonWorkspace) {}

  /** A passkey signs in: its last use moves to `at`, and `auth.success` is recorded. */
  authenticate(credentialId: string, at?: Date): TmAuditEvent {
    const c = this.credential(credentialId);
    const event = this.record('auth.success', this.user(c.userExternalId).id, at);
    c.last_used_at = event.created_at;
    return event;
  }

  /** A user registers a new passkey (never used yet): `passkey.registered`. */
  registerPasskey(externalUserId: string, at?: Date): TmCredential {
    const user = this.user(externalUserId);
    const event = this.record('passkey.registered', user.id, at);
    const c: TmCredential = {
      credential_id: `cred_${uuid(this.random()).replace(/-/g, '').slice(0, 16)}`,
      userExternalId: externalUserId,
      status: 'active',
      alias: 'New passkey',
      transports: ['internal'],
      attestation_type: 'none',
      created_at: event.created_at,
      last_used_at: null,
    };
    this.workspace.credentials.push(c);
    return c;
  }

  /** A passkey revoked (by the API's DELETE or from TryMellon's dashboard): `credential.revoked`. */
  revoke(credentialId: string, at?: Date): TmAuditEvent {
    const c = this.credential(credentialId);
    c.status = 'revoked';
    return this.record('credential.revoked', this.user(c.userExternalId).id, at);
  }

  /** A user created by the API or the dashboard, with no passkey yet: `user.created`. */
  createUser(externalUserId: string, at?: Date): TmUser {
    const event = this.record('user.created', null, at);
    const user: TmUser = {
      id: uuid(this.random()),
      external_user_id: externalUserId,
      status: 'active',
      created_at: event.created_at,
    };
    event.user_id = user.id;
    this.workspace.users.push(user);
    return user;
  }

  /**
   * A user deleted: as the docs say, the deletion cascades to their passkeys and their audit log entries; the
   * `user.deleted` event itself is kept (the docs do not say either way; the sandbox keeps it).
   */
  deleteUser(externalUserId: string, at?: Date): TmAuditEvent {
    const user = this.user(externalUserId);
    const w = this.workspace;
    w.users = w.users.filter((u) => u !== user);
    w.credentials = w.credentials.filter((c) => c.userExternalId !== externalUserId);
    w.events = w.events.filter((e) => e.user_id !== user.id);
    return this.record('user.deleted', user.id, at);
  }

  /** Appends an event, keeping the log newest first. */
  record(event: string, userId: string | null, at?: Date): TmAuditEvent {
    const events = this.workspace.events;
    const newest = events[0] ? Date.parse(events[0].created_at) : 0;
    const when = at ?? new Date(Math.max(Date.now(), newest + 1));
    const e: TmAuditEvent = {
      id: uuid(this.random()),
      event,
      success: true,
      user_id: userId,
      ip_address: '203.0.113.7',
      metadata: {},
      created_at: when.toISOString(),
    };
    const place = events.findIndex((x) => x.created_at <= e.created_at);
    events.splice(place < 0 ? events.length : place, 0, e);
    return e;
  }

  private credential(id: string): TmCredential {
    const c = this.workspace.credentials.find((x) => x.credential_id === id);
    if (!c) throw new Error(`no passkey ${id} in the sandbox`);
    return c;
  }

  private user(externalUserId: string): TmUser {
    const u = this.workspace.users.find((x) => x.external_user_id === externalUserId);
    if (!u) throw new Error(`no user ${externalUserId} in the sandbox`);
    return u;
  }

  /** A fresh generator per addition: ids that repeat from run to run and never meet the generated ones. */
  private random(): () => number {
    return seededRandom(0x7e57_0000 + this.added++);
  }
}
