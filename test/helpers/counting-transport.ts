import type { Transport } from '../../src/http/transport.js';

/** Wraps a transport to count the requests in flight at once (the most seen, and how many were sent). */
export function countingTransport(inner: Transport): Transport & { maxInFlight: number; sent: number } {
  let inFlight = 0;
  const counter = {
    maxInFlight: 0,
    sent: 0,
    async send(req: Parameters<Transport['send']>[0]) {
      inFlight++;
      counter.sent++;
      counter.maxInFlight = Math.max(counter.maxInFlight, inFlight);
      try {
        return await inner.send(req);
      } finally {
        inFlight--;
      }
    },
    close: () => inner.close(),
  };
  return counter;
}
