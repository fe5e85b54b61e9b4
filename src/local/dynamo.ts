import { chmod, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { Level } from 'level';
import { ensureTable } from '../store/table.js';
import { UnixSocketAgent } from './unix-socket.js';

export interface LocalDynamo {
  client: DynamoDBClient;
  /**
   * The unix socket dynalite listens on, in a directory only this user can enter. There is no TCP port: the
   * store is reachable only through `client` (and by this user's own processes, which can read the data anyway).
   */
  socketPath: string;
  close(): Promise<void>;
}

/** A second process on the same data directory: LevelDB allows one at a time. */
export class LocalStoreInUseError extends Error {
  override name = 'LocalStoreInUseError';
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${path} is locked by another process`, options);
  }

  userMessage(): string {
    return `another Keywarden is already using ${this.path} (its data can have one process at a time). Stop that one first.`;
  }
}

/** Owner only: dynalite takes any credentials, so the file system is what keeps other users out. */
const PRIVATE_DIR = 0o700;
const PRIVATE_SOCKET = 0o600;
const SOCKET_DIR_PREFIX = 'keywarden-db-';
const SOCKET_NAME = 'dynamodb.sock';
/** A unix socket's path must fit in sun_path: 108 bytes on Linux, 104 on macOS, the terminating NUL included. */
const MAX_SOCKET_PATH = 100;

/**
 * DynamoDB for local runs and tests: dynalite, embedded in this process, so the store code that runs on AWS runs
 * here unchanged. With `path` the data lives on disk (`.keywarden/`), so requests survive a restart.
 *
 * dynalite accepts any credentials, so on a loopback TCP port any local process (any user's) could approve a
 * revocation request by writing to the table. It listens on a unix socket instead, in a fresh `mkdtemp` directory
 * (mode 0700; the socket 0600): the kernel lets only this user connect. That directory is made inside `path`, so
 * one a killed process left behind is removed by the next start on the same data (which holds the data's lock, so
 * no other live process can be using it); in the system temp directory when there is no `path`, or when `path`
 * is too deep for a socket's path.
 */
export async function startLocalDynamo(options: { table: string; path?: string }): Promise<LocalDynamo> {
  if (options.path) {
    await mkdir(options.path, { recursive: true, mode: PRIVATE_DIR });
    // A data directory from an earlier version may have been made with the umask's 0755.
    await chmod(options.path, PRIVATE_DIR);
    await checkNotInUse(options.path);
  }
  const socketDir = await mkdtemp(join(socketParent(options.path), SOCKET_DIR_PREFIX));
  const socketPath = join(socketDir, SOCKET_NAME);
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(options.path ? { path: options.path } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    await chmod(socketPath, PRIVATE_SOCKET);
  } catch (err) {
    await closeServer(server);
    await rm(socketDir, { recursive: true, force: true });
    throw err;
  }
  const client = new DynamoDBClient({
    // Every request goes through the agent's socket; the host here is only what the request line says.
    endpoint: 'http://dynamodb.local',
    region: 'local',
    requestHandler: { httpAgent: new UnixSocketAgent(socketPath) },
    // dynalite checks that credentials are present, not what they are; the socket's permissions are the check.
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
  const close = async () => {
    client.destroy();
    await closeServer(server);
    await rm(socketDir, { recursive: true, force: true });
  };
  try {
    // The first request opens the data, and with it the lock that makes the socket directories left in it stale.
    await ensureTable(client, options.table);
    if (options.path) await removeStaleSocketDirs(options.path, socketDir);
  } catch (err) {
    await close();
    throw err;
  }
  return { client, socketPath, close };
}

function socketParent(path: string | undefined): string {
  if (!path) return tmpdir();
  // Absolute, so the client still finds the socket if the process changes directory.
  const dir = resolve(path);
  const longest = join(dir, `${SOCKET_DIR_PREFIX}XXXXXX`, SOCKET_NAME);
  return Buffer.byteLength(longest) <= MAX_SOCKET_PATH ? dir : tmpdir();
}

/** LevelDB ignores files it did not name, so the socket directories can sit among its own. */
async function removeStaleSocketDirs(path: string, current: string): Promise<void> {
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith(SOCKET_DIR_PREFIX) && entry.name !== basename(current)) {
      await rm(join(path, entry.name), { recursive: true, force: true });
    }
  }
}

/**
 * dynalite opens its LevelDB lazily and throws the lock failure from inside a request, which no caller can catch:
 * a second `npm start` in the same directory would crash with "Database is closed". Opening it here first turns
 * that into an error that says what is wrong. The lock is also what makes the local queue's recovery safe: a job
 * stored as running cannot belong to another live process.
 */
async function checkNotInUse(path: string): Promise<void> {
  const probe = new Level(path);
  try {
    await probe.open();
  } catch (err) {
    if ((err as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') {
      throw new LocalStoreInUseError(path, { cause: err });
    }
    throw err;
  }
  await probe.close();
}

function closeServer(server: ReturnType<typeof dynalite>): Promise<void> {
  return new Promise<void>((resolve) => server.close(() => resolve()));
}
