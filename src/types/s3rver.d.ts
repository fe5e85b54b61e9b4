// s3rver ships no types; this is the part of its API Keywarden uses.
declare module 's3rver' {
  import type { Server } from 'node:http';

  interface S3rverOptions {
    directory: string;
    silent?: boolean;
    configureBuckets?: { name: string }[];
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    httpServer?: Server;
    configureBuckets(): Promise<void>;
    /** Node's `server.listen` arguments, without the callback: resolves with the listening server. */
    listen(path: string): Promise<Server>;
    close(): Promise<void>;
  }
}
