/**
 * Where a `response_url` may point. Slack issues them on `https://hooks.slack.com/`; a payload naming any other host
 * is not Slack's, and posting there would hand a key list to whoever wrote it. For local runs and tests, URLs on the
 * origin of the configured `SLACK_API_URL` (the local fake Slack) are Slack's too.
 */
export function trustedResponseUrl(
  url: string,
  slackApiUrl?: string,
  extraOrigins: readonly string[] = [],
): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol === 'https:' && u.hostname === 'hooks.slack.com' && u.port === '' && !u.username)
    return true;
  if (u.username) return false;
  for (const base of [slackApiUrl, ...extraOrigins]) {
    if (!base) continue;
    try {
      if (u.origin === new URL(base).origin) return true;
    } catch {
      // a malformed base trusts nothing
    }
  }
  return false;
}

/** A response_url is a bearer capability: only its host is ever logged. */
export function urlHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(not a URL)';
  }
}
