/**
 * Load generator for the App Home bench, run as its own process so that its HTTP client does not share an event
 * loop with the bot it measures. Sends one signed `app_home_opened` per user at once and prints, per user, the
 * absolute time (ms since the epoch, high resolution) it was sent.
 * Usage: tsx bench/home-load.ts <bot url> <user,user,…> [event id, for one user]; SIGNING_SECRET in the environment.
 */
import { request } from 'undici';
import { signSlackRequest } from '../src/slack/verify.js';

const [url, usersText, eventPrefix] = process.argv.slice(2);
const secret = process.env.SIGNING_SECRET ?? '';
const users = (usersText ?? '').split(',').filter(Boolean);
const now = () => performance.timeOrigin + performance.now();
const bodies = users.map((user, i) =>
  JSON.stringify({
    type: 'event_callback',
    team_id: 'T0001',
    api_app_id: 'A0KEYWARDEN',
    event_id: eventPrefix ?? `EvBench${i}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { type: 'app_home_opened', user, channel: `D${user}`, tab: 'home', event_ts: '1.0' },
  }),
);
const sent: Record<string, number> = {};
await Promise.all(
  bodies.map(async (body, i) => {
    const ts = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signSlackRequest(secret, ts, body),
    };
    sent[users[i] as string] = now();
    const res = await request(`${url}/slack/events`, { method: 'POST', body, headers });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
  }),
);
process.stdout.write(JSON.stringify(sent));
