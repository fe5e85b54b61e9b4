/**
 * Load generator for the acknowledgement bench, run as its own process so that its HTTP client does not share an
 * event loop with the server it measures. Fires N signed slash commands at once and prints each one's latency.
 * Usage: tsx bench/ack-load.ts <bot url> <count> <response_url base>; SIGNING_SECRET in the environment.
 */
import { request } from 'undici';
import { signedHeaders, slashCommandBody } from '../test/helpers/slack-requests.js';
import { loadAdmin } from './lib.js';

const [url, countText, hookBase] = process.argv.slice(2);
const secret = process.env.SIGNING_SECRET ?? '';
const count = Number(countText);
// One admin per command: one admin's identical commands would be coalesced into one job (issue 11).
const bodies = Array.from({ length: count }, (_, i) =>
  slashCommandBody({
    command: '/keys',
    text: 'stale 90',
    user_id: loadAdmin(i),
    response_url: `${hookBase}/load-${i}`,
  }),
);
const latencies = await Promise.all(
  bodies.map(async (body) => {
    const headers = signedHeaders(secret, body);
    const t = performance.now();
    const res = await request(`${url}/slack/events`, { method: 'POST', body, headers });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    return performance.now() - t;
  }),
);
process.stdout.write(JSON.stringify(latencies));
