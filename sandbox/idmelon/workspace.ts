import { DAY_MS } from '../../src/domain/clock.js';
import { objectId, pick, seededRandom, weighted } from '../random.js';

/**
 * A deterministic, realistic IDmelon workspace: users, security keys of three form factors, groups, passkeys,
 * authentication logs and the workspace's API keys. The same seed and size always give the same data, dated
 * relative to `now`, so a test can compute what the API must answer straight from these arrays.
 */

export interface SandboxUser {
  _id: string;
  email: string;
  name: string;
  status: 'active' | 'pending' | 'blocked' | 'notInvited';
  createdAt: string;
  groupIds: string[];
}

export interface SandboxKey {
  _id: string;
  name: string;
  type: 'phone' | 'badge' | 'desktop';
  status: 20 | 30;
  ownerId: string;
  lastActivityAt: string | null;
  totalActivities: number;
  hasOfflineAccess: boolean;
  isBlocked: boolean;
  proximity: boolean;
  verification: string;
  createdAt: string;
}

export interface SandboxPasskey {
  _id: string;
  userId: string;
  name: string;
  rpId: string;
  rpName: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface SandboxLog {
  _id: string;
  createdAt: string;
  action: number;
  status: number;
  rpInfo: { name: string; id: string };
  userInfo: { name: string; displayName: string };
  ownerId: string;
  deviceName: string;
  securityKeyDevice: string;
}

export interface SandboxGroup {
  _id: string;
  name: string;
}

export interface SandboxApiKey {
  _id: string;
  name: string;
  type: 'Admin' | 'Shared Mobile' | 'Clients';
  createdAt: string;
  expiresAt: string | null;
}

export interface IdmelonSeedOptions {
  /** @default 42 */
  seed?: number;
  /** @default 2000 */
  users?: number;
  /** @default 6000 */
  keys?: number;
  /** @default 20000 */
  logs?: number;
  /** Logs are spread over this many days before `now`. @default 60 */
  logDays?: number;
  /** Share of keys never used. @default 0.05 */
  neverUsedRatio?: number;
  /** Share of keys idle for more than `staleDays`. @default 0.08 */
  staleRatio?: number;
  /** @default 90 */
  staleDays?: number;
  /** Share of keys still pending (status 30). @default 0.02 */
  pendingRatio?: number;
  /** @default the current time */
  now?: Date;
}

export interface IdmelonWorkspace {
  now: Date;
  users: SandboxUser[];
  keys: SandboxKey[];
  passkeys: SandboxPasskey[];
  groups: SandboxGroup[];
  logs: SandboxLog[];
  apiKeys: SandboxApiKey[];
}

const FIRST = [
  'Alice',
  'Bob',
  'Carol',
  'Dan',
  'Erin',
  'Frank',
  'Grace',
  'Heidi',
  'Ivan',
  'Judy',
  'Mallory',
  'Niaj',
  'Olivia',
  'Peggy',
  'Rupert',
  'Sybil',
  'Trent',
  'Victor',
  'Walter',
  'Yusuf',
  'Zoë',
  'Amara',
  'Chen',
  'Dmitri',
  'Fatima',
  'Hiro',
  'Ingrid',
  'Kofi',
  'Lucía',
  'Mateo',
  'Noor',
  'Priya',
  'Sven',
  'Thandiwe',
];
const LAST = [
  'Anders',
  'Baker',
  'Chowdhury',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Hansen',
  'Ito',
  'Jones',
  'Kowalski',
  'Lopez',
  'Müller',
  'Nakamura',
  'Okafor',
  'Patel',
  'Quinn',
  'Rossi',
  'Silva',
  'Tanaka',
  'Ueda',
  'Varga',
  'Wang',
  'Yilmaz',
  'Zhang',
];
/** Names a careless bot would turn into Slack pings or broken markup. */
const HOSTILE_NAMES = [
  'Mallory <!channel>',
  'Tom & Jerry',
  '<@U0EVIL123> Admin',
  'Eve <script>',
  'Bob > Alice',
];
const GROUPS = [
  'Engineering',
  'Finance',
  'Sales',
  'Support',
  'R&D <Labs>',
  'Executives',
  'Contractors',
  'IT Ops',
  'Legal',
  'Marketing',
  'Security',
  'HR',
];
export const RELYING_PARTIES: ReadonlyArray<readonly [{ name: string; id: string }, number]> = [
  [{ name: 'Microsoft', id: 'login.microsoftonline.com' }, 40],
  [{ name: 'IDmelon', id: 'idmelon.com' }, 15],
  [{ name: 'Okta', id: 'acme.okta.com' }, 20],
  [{ name: 'GitHub', id: 'github.com' }, 12],
  [{ name: 'PayPal', id: 'paypal.com' }, 5],
  [{ name: 'Salesforce', id: 'salesforce.com' }, 8],
];

const iso = (ms: number) => new Date(ms).toISOString();

export function generateWorkspace(options: IdmelonSeedOptions = {}): IdmelonWorkspace {
  const random = seededRandom(options.seed ?? 42);
  const now = options.now ?? new Date();
  const nowMs = now.getTime();
  const userCount = Math.max(1, options.users ?? 2000);
  const keyCount = options.keys ?? 6000;
  const logCount = options.logs ?? 20000;
  const logDays = options.logDays ?? 60;
  const neverUsedRatio = options.neverUsedRatio ?? 0.05;
  const staleRatio = options.staleRatio ?? 0.08;
  const staleDays = options.staleDays ?? 90;
  const pendingRatio = options.pendingRatio ?? 0.02;
  const daysAgo = (d: number) => nowMs - d * DAY_MS;

  const groups: SandboxGroup[] = GROUPS.map((name, i) => ({ _id: objectId(random, 0x9000 + i), name }));

  const users: SandboxUser[] = [];
  for (let i = 0; i < userCount; i++) {
    const first = pick(random, FIRST);
    const last = pick(random, LAST);
    const hostile = i > 0 && i % 97 === 0;
    const name =
      i === 0
        ? 'Alice Anders'
        : hostile
          ? (HOSTILE_NAMES[(i / 97) % HOSTILE_NAMES.length] as string)
          : `${first} ${last}`;
    const local = `${first}.${last}`
      .normalize('NFD')
      .replace(/[^\w.]/g, '')
      .toLowerCase();
    users.push({
      _id: objectId(random, i),
      email: i === 0 ? 'alice@acme.example' : `${local}${i}@acme.example`,
      name,
      status:
        i === 0
          ? 'active'
          : weighted(random, [
              ['active', 90],
              ['pending', 5],
              ['blocked', 2],
              ['notInvited', 3],
            ] as const),
      createdAt: iso(daysAgo(30 + random() * 900)),
      groupIds: [pick(random, groups)._id, ...(random() < 0.3 ? [pick(random, groups)._id] : [])].filter(
        (g, j, all) => all.indexOf(g) === j,
      ),
    });
  }

  const keys: SandboxKey[] = [];
  for (let i = 0; i < keyCount; i++) {
    // Alice's three keys are fixed, so the README's examples and the tests can rely on them.
    const alice = i < 3;
    const owner = alice ? (users[0] as SandboxUser) : pick(random, users);
    const type: SandboxKey['type'] = alice
      ? (['phone', 'badge', 'desktop'] as const)[i as 0 | 1 | 2]
      : weighted(random, [
          ['phone', 50],
          ['badge', 30],
          ['desktop', 20],
        ] as const);
    const r = random();
    const pending = !alice && r > 1 - pendingRatio;
    let lastActivityAt: string | null;
    if (alice) lastActivityAt = i === 0 ? iso(daysAgo(2)) : i === 1 ? iso(daysAgo(213)) : null;
    else if (pending || r < neverUsedRatio) lastActivityAt = null;
    else if (r < neverUsedRatio + staleRatio) lastActivityAt = iso(daysAgo(staleDays + 1 + random() * 640));
    else lastActivityAt = iso(daysAgo(random() ** 2 * (staleDays - 1)));
    const firstName = owner.name.split(' ')[0] ?? 'User';
    const name =
      type === 'phone'
        ? `${firstName}'s ${pick(random, ['iPhone 15', 'iPhone 13', 'Pixel 8', 'Galaxy S23'])}`
        : type === 'badge'
          ? `Badge ${1000 + Math.floor(random() * 9000)}`
          : `DESKTOP-${Math.floor(random() * 0xfffff)
              .toString(16)
              .toUpperCase()}`;
    keys.push({
      _id: objectId(random, 0x100000 + i),
      name,
      type,
      status: pending ? 30 : 20,
      ownerId: owner._id,
      lastActivityAt,
      totalActivities: lastActivityAt ? 1 + Math.floor(random() * 1500) : 0,
      hasOfflineAccess: random() < 0.2,
      isBlocked: random() < 0.01,
      proximity: random() < 0.5,
      verification: pick(random, ['pin', 'biometric', 'none']),
      createdAt: iso(daysAgo(400 + random() * 600)),
    });
  }

  // Logs: authentications by keys that are in use, newest first. A key's lastActivity is never older than its
  // newest log entry, as in IDmelon, where the log feeds lastActivity.
  const inUse = keys.filter(
    (k) => k.status === 20 && k.lastActivityAt && Date.parse(k.lastActivityAt) > daysAgo(staleDays),
  );
  const userById = new Map(users.map((u) => [u._id, u]));
  const logs: SandboxLog[] = [];
  const windowMs = logDays * DAY_MS;
  for (let i = 0; i < logCount && inUse.length > 0; i++) {
    const key = pick(random, inUse);
    const owner = userById.get(key.ownerId) as SandboxUser;
    const at = nowMs - Math.floor(random() * windowMs);
    if (Date.parse(key.lastActivityAt as string) < at) {
      key.lastActivityAt = iso(at);
      key.totalActivities++;
    }
    logs.push({
      _id: objectId(random, 0x1000000 + i),
      createdAt: iso(at),
      action: weighted(random, [
        [2, 85],
        [1, 10],
        [4, 5],
      ] as const),
      status: random() < 0.95 ? 1 : 0,
      rpInfo: weighted(random, RELYING_PARTIES),
      userInfo: { name: owner.email, displayName: owner.name },
      ownerId: owner.email,
      deviceName: key.name,
      securityKeyDevice: key._id,
    });
  }
  logs.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));

  const passkeys: SandboxPasskey[] = [];
  users.forEach((u, i) => {
    const count = i === 0 ? 1 : random() < 0.1 ? 1 + Math.floor(random() * 2) : 0;
    for (let j = 0; j < count; j++) {
      const rp = weighted(random, RELYING_PARTIES);
      passkeys.push({
        _id: objectId(random, 0x5000000 + passkeys.length),
        userId: u._id,
        name: `${pick(random, ['Touch ID', 'Windows Hello', 'YubiKey 5', 'iCloud Keychain'])} (${rp.name})`,
        rpId: rp.id,
        rpName: rp.name,
        createdAt: iso(daysAgo(10 + random() * 300)),
        lastUsedAt: random() < 0.8 ? iso(daysAgo(random() * 120)) : null,
      });
    }
  });

  const apiKeys: SandboxApiKey[] = [
    {
      _id: objectId(random, 0xa0),
      name: 'Keywarden',
      type: 'Admin',
      createdAt: iso(daysAgo(170)),
      expiresAt: iso(daysAgo(-10)),
    },
    {
      _id: objectId(random, 0xa1),
      name: 'Reporting script',
      type: 'Admin',
      createdAt: iso(daysAgo(300)),
      expiresAt: iso(daysAgo(-200)),
    },
    {
      _id: objectId(random, 0xa2),
      name: 'iPad kiosk config',
      type: 'Shared Mobile',
      createdAt: iso(daysAgo(90)),
      expiresAt: null,
    },
  ];

  return { now, users, keys, passkeys, groups, logs, apiKeys };
}
