import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { invocation } from '../src/runtime/invocation.js';
import { slackEventsRuntime } from '../src/runtime/slack-events.js';

// Built once per cold start; the secret is read on the first request and cached.
const runtime = slackEventsRuntime(process.env);

/** HTTP API (payload 2.0) → Keywarden's Slack receiver. Bodies are bytes: base64-decoded to a Buffer, read as UTF-8. */
export const handler = async (
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> =>
  invocation(context, runtime.metrics, async () => {
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
    const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    const answer = await runtime.receiver.handle({ headers, body });
    return { statusCode: answer.status, headers: answer.headers, body: answer.body };
  });
