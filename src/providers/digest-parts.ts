import type { DigestPart } from '../domain/digest.js';
import type { Logger } from '../domain/logger.js';
import { userMessage } from '../http/errors.js';

/** Runs one part, turning a failure into an "unavailable" part instead of sinking the digest. */
export async function part(
  title: string,
  logger: Logger,
  build: () => Promise<DigestPart>,
): Promise<DigestPart> {
  try {
    return await build();
  } catch (err) {
    logger.error('digest part unavailable', { part: title, err });
    return { title, unavailable: userMessage(err) };
  }
}
