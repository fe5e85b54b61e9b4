import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { Agent, type ClientRequestArgs } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { Level } from 'level';
import { ensureTable } from '../store/table.js';

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

/**
 * DynamoDB for local runs and tests: dynalite, embedded in this process, so the store code that runs on AWS runs
 * here unchanged. With `path` the data lives on disk (`.keywarden/`), so requests survive a restart.
 *
 * dynalite accepts any credentials, so on a loopback TCP port any local process (any user's) could approve a
 * revocation request by writing to the table. It listens on a unix socket instead, in a fresh `mkdtemp` directory
 * (mode 0700; the socket 0600): the kernel lets only this user connect. The socket lives in the temp directory,
 * not under `path`, because a socket path must fit in 107 bytes and a project directory may be deep.
 */
export async function startLocalDynamo(options: { table: string; path?: string }): Promise<LocalDynamo> {
  if (options.path) {
    await mkdir(options.path, { recursive: true, mode: PRIVATE_DIR });
    // A data directory from an earlier version may have been made with the umask's 0755.
    await chmod(options.path, PRIVATE_DIR);
    await checkNotInUse(options.path);
  }
  const socketDir = await mkdtemp(join(tmpdir(), 'keywarden-db-'));
  const socketPath = join(socketDir, 'dynamodb.sock');
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
    await ensureTable(client, options.table);
  } catch (err) {
    await close();
    throw err;
  }
  return { client, socketPath, close };
}

/** An HTTP agent whose every connection is to one unix socket, whatever host and port the request names. */
class UnixSocketAgent extends Agent {
  constructor(private readonly socketPath: string) {
    super({ keepAlive: true });
  }

  // Returning the socket is enough: Node's agent takes a returned stream as the connection, and a failure to
  // connect surfaces as the request's error.
  override createConnection(_options: ClientRequestArgs): Duplex {
    return connect(this.socketPath);
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
