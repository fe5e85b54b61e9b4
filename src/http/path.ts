import { KeywardenError } from './errors.js';

/** An id that cannot name one thing in a vendor's URL path. */
export class InvalidIdError extends KeywardenError {
  override name = 'InvalidIdError';
  constructor(message: string) {
    super('bad_request', message);
  }
  userMessage(): string {
    return this.message;
  }
}

/**
 * True for ids that would not stay one path segment: empty, or only dots. `encodeURIComponent` leaves `.` and `..`
 * as they are, and URL resolution then removes them (`/v1/users/..` becomes `/v1/`), so a request meant for one
 * user or key would reach another endpoint.
 */
export function isUnsafeId(value: string): boolean {
  return /^\.*$/.test(value);
}

/** One encoded path segment for an id taken from a command, a button or a vendor; unsafe ids are refused. */
export function pathSegment(value: string): string {
  if (isUnsafeId(value)) throw new InvalidIdError(`${JSON.stringify(value)} is not a valid id.`);
  return encodeURIComponent(value);
}
