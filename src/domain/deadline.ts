import { type Clock, systemClock } from './clock.js';

/** An operation-wide time budget: every HTTP attempt and every backoff sleep must fit inside it. */
export class Deadline {
  private constructor(
    readonly at: number,
    private readonly now: () => number,
  ) {}

  static after(ms: number, clock: Clock = systemClock): Deadline {
    const now = () => clock.now().getTime();
    return new Deadline(now() + ms, now);
  }

  remaining(): number {
    return this.at - this.now();
  }

  expired(): boolean {
    return this.remaining() <= 0;
  }
}

/** Counts the HTTP requests one operation made, so results can say what they cost. */
export interface RequestMeter {
  requests: number;
  /**
   * Awaited before each HTTP attempt, retries included: a budget shared by every worker (the inventory's sync)
   * paces the caller here. Absent for ordinary commands, which are not paced.
   */
  pace?: () => Promise<void>;
  /** Told of each 429 the vendor answers, with its Retry-After when it sent one, so a shared budget can slow down. */
  rateLimited?: (retryAfterMs: number | undefined) => void;
}

export function newMeter(): RequestMeter {
  return { requests: 0 };
}
