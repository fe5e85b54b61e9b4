import { Agent, type ClientRequestArgs } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';

/** An HTTP agent whose every connection is to one unix socket, whatever host and port the request names. */
export class UnixSocketAgent extends Agent {
  constructor(private readonly socketPath: string) {
    super({ keepAlive: true });
  }

  // Returning the socket is enough: Node's agent takes a returned stream as the connection, and a failure to
  // connect surfaces as the request's error.
  override createConnection(_options: ClientRequestArgs): Duplex {
    return connect(this.socketPath);
  }
}
