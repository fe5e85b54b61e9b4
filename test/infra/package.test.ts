import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const MAX_ZIP_BYTES = 1_500 * 1024;

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is arbitrary JSON
type Json = any;

/**
 * The one file in a zip serverless-esbuild wrote. Sizes come from the central directory, since the local header
 * may defer them to a data descriptor.
 */
function firstZipEntry(zip: Buffer): { name: string; content: Buffer } {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip');
  const central = zip.readUInt32LE(eocd + 16);
  if (zip.readUInt32LE(central) !== 0x02014b50) throw new Error('no central directory');
  const method = zip.readUInt16LE(central + 10);
  const size = zip.readUInt32LE(central + 20);
  const nameLength = zip.readUInt16LE(central + 28);
  const name = zip.subarray(central + 46, central + 46 + nameLength).toString('utf8');
  const local = zip.readUInt32LE(central + 42);
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  const data = zip.subarray(start, start + size);
  return { name, content: method === 8 ? inflateRawSync(data) : data };
}

describe('npm run package (osls + serverless-esbuild, offline)', () => {
  let template: Json;
  let resources: Record<string, Json>;

  beforeAll(async () => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    await run('npm', ['run', 'package', '--', '--param=timezone=Europe/Paris'], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    template = JSON.parse(
      await readFile(`${root}.serverless/cloudformation-template-update-stack.json`, 'utf8'),
    );
    resources = template.Resources;
  }, 150_000);

  const fn = (name: string) => resources[`${name}LambdaFunction`].Properties;
  const roleOf = (name: string) => resources[fn(name).Role['Fn::GetAtt'][0]].Properties;
  const statements = (role: Json): Json[] => role.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);

  it('declares the four functions on nodejs22.x, arm64, with their handlers and own roles', () => {
    expect(fn('SlackDashevents')).toMatchObject({
      Handler: 'functions/slack-events.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
    expect(fn('Worker')).toMatchObject({
      Handler: 'functions/worker.handler',
      Runtime: 'nodejs22.x',
      ReservedConcurrentExecutions: 5,
    });
    expect(fn('Digest')).toMatchObject({ Handler: 'functions/digest.handler', Runtime: 'nodejs22.x' });
    expect(fn('Sweep')).toMatchObject({ Handler: 'functions/sweep.handler', Runtime: 'nodejs22.x' });
    expect(fn('Policy')).toMatchObject({ Handler: 'functions/policy.handler', Runtime: 'nodejs22.x' });
    expect(
      new Set(
        ['SlackDashevents', 'Worker', 'Digest', 'Sweep', 'Policy'].map((f) => fn(f).Role['Fn::GetAtt'][0]),
      ),
    ).toEqual(new Set(['SlackEventsRole', 'WorkerRole', 'DigestRole', 'SweepRole', 'PolicyRole']));
  });

  it('gives every role only named actions on named resources, and the secret to each only by name', () => {
    for (const name of ['SlackEventsRole', 'WorkerRole', 'DigestRole', 'SweepRole', 'DigestSchedulerRole']) {
      for (const s of statements(resources[name].Properties)) {
        const actions = [s.Action].flat();
        for (const a of actions) expect(a).not.toContain('*');
        for (const r of [s.Resource].flat()) expect(r).not.toBe('*');
        if (actions.some((a: string) => a.startsWith('secretsmanager:'))) {
          expect(actions).toEqual(['secretsmanager:GetSecretValue']);
          expect(s.Resource['Fn::Sub']).toMatch(/:secret:keywarden\/ci-\?{6}$/);
        }
      }
    }
    const actionsOf = (name: string) =>
      statements(roleOf(name))
        .flatMap((s: Json) => [s.Action].flat())
        .sort();
    // The work limits, and the App Home (an event's first delivery; the stored state it shows, open requests
    // through the gsi1 index: Query twice, on the table and on the index).
    expect(actionsOf('SlackDashevents')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
      'sqs:SendMessage',
    ]);
    // The digest also reads the exemptions, to list those ending in the coming week.
    expect(actionsOf('Digest')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
    expect(actionsOf('Worker')).toContain('dynamodb:BatchWriteItem');
    // A policy run reads its owners' notices in batches.
    expect(actionsOf('Worker')).toContain('dynamodb:BatchGetItem');
    // The policy schedule only queues the day's run: logs and one queue, nothing else.
    expect(actionsOf('Policy')).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
    // The worker queues the next slice of a long revocation on its own queue, and nothing else.
    const workerSqs = statements(roleOf('Worker')).find((s: Json) =>
      ([] as string[]).concat(s.Action).includes('sqs:SendMessage'),
    );
    expect(workerSqs.Resource).toEqual({ 'Fn::GetAtt': ['JobQueue', 'Arn'] });
    // The sweep reads the open-requests index and each request, and queues resumptions: no secret, no writes.
    expect(actionsOf('Sweep')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
    ]);
    const query = statements(roleOf('Sweep')).find((s: Json) => s.Action === 'dynamodb:Query');
    expect(JSON.stringify(query.Resource)).toContain('/index/gsi1');
    const sqs = statements(roleOf('SlackDashevents')).find((s: Json) => s.Action === 'sqs:SendMessage');
    expect(sqs.Resource).toEqual({ 'Fn::GetAtt': ['JobQueue', 'Arn'] });
    // The work limits hold across containers because they live in the table, and only there.
    const limits = statements(roleOf('SlackDashevents')).find((s: Json) =>
      [s.Action].flat().includes('dynamodb:UpdateItem'),
    );
    expect(limits.Resource).toEqual({ 'Fn::GetAtt': ['KeywardenTable', 'Arn'] });
    expect(fn('SlackDashevents').Environment.Variables.KEYWARDEN_TABLE).toEqual({ Ref: 'KeywardenTable' });
  });

  it('puts no secret value in any environment variable, only the secret’s name', () => {
    for (const f of ['SlackDashevents', 'Worker', 'Digest', 'Sweep', 'Policy']) {
      const vars = fn(f).Environment.Variables;
      expect(vars.KEYWARDEN_SECRET_ID).toBe('keywarden/ci');
      for (const key of Object.keys(vars)) expect(key).not.toMatch(/TOKEN|SECRET$|API_KEY|PASSWORD/);
    }
  });

  it('routes POST /slack/events to slack-events, and the queue to the worker with partial batch failures', () => {
    expect(resources.HttpApiRoutePostSlackEvents.Properties.RouteKey).toBe('POST /slack/events');
    const mapping = resources.WorkerEventSourceMappingSQSJobQueue.Properties;
    expect(mapping).toMatchObject({ BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it('runs the sweep of stuck revocations every 5 minutes, and indexes open requests for it', () => {
    const rule = Object.values(resources).find(
      (r: Json) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r).includes('SweepLambdaFunction'),
    ) as Json;
    expect(rule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(resources.KeywardenTable.Properties.GlobalSecondaryIndexes).toMatchObject([
      { IndexName: 'gsi1', KeySchema: [{ AttributeName: 'gsi1pk' }, { AttributeName: 'gsi1sk' }] },
    ]);
  });

  it('sends failed jobs to a dead-letter queue after three tries', () => {
    expect(resources.JobQueue.Properties.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['JobDeadLetterQueue', 'Arn'] },
      maxReceiveCount: 3,
    });
  });

  it('schedules the digest on Monday 09:00 in the configured time zone, through its own scheduler role', () => {
    const schedule = Object.values(resources).find(
      (r: Json) => r.Type === 'AWS::Scheduler::Schedule',
    ) as Json;
    expect(schedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 9 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      Target: { RoleArn: { 'Fn::GetAtt': ['DigestSchedulerRole', 'Arn'] } },
    });
    expect(statements(resources.DigestSchedulerRole.Properties).map((s: Json) => s.Action)).toEqual([
      'lambda:InvokeFunction',
    ]);
  });

  it('keeps the table on demand, with TTL and point-in-time recovery, and retains it when the stack goes', () => {
    expect(resources.KeywardenTable.DeletionPolicy).toBe('Retain');
    expect(resources.KeywardenTable.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('sets log retention on every function', () => {
    for (const f of ['SlackDashevents', 'Worker', 'Digest', 'Sweep', 'Policy'])
      expect(resources[`${f}LogGroup`].Properties.RetentionInDays).toBe(90);
  });

  it('adds the operations dashboard: every Keywarden metric, the queues and each function', () => {
    const dashboard = resources.OperationsDashboard;
    expect(dashboard.Type).toBe('AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties.DashboardName).toBe('keywarden-ci');
    const body: string = dashboard.Properties.DashboardBody['Fn::Sub'];
    // Every substitution names a resource of this template (or a pseudo parameter), and the rest is JSON.
    const refs = [...body.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1] as string);
    for (const ref of refs)
      if (!ref.startsWith('AWS::')) expect(Object.keys(resources)).toContain(ref.split('.')[0]);
    const parsed = JSON.parse(body.replace(/\$\{([^}]+)\}/g, (_m, ref: string) => `<${ref}>`));
    // Each line of each graph: a metric as namespace/name/dimension/value, or a SEARCH expression.
    const lines: string[] = parsed.widgets.flatMap((w: Json) =>
      (w.properties.metrics ?? []).map((m: Json[]) =>
        m
          .map((part) => (typeof part === 'string' ? part : part.expression))
          .filter(Boolean)
          .join('/'),
      ),
    );
    const shown = (text: string) => lines.some((l) => l.includes(text));
    for (const metric of [
      'Commands',
      'Jobs',
      'JobDuration',
      'VendorRequests',
      'VendorRateLimited',
      'VendorServerErrors',
      'RevocationsRequested',
      'RevocationsApproved',
      'KeysRevoked',
      'RevocationsFailed',
      'DigestRuns',
      'PolicyRuns',
      'OwnersNotified',
      'KeysEscalated',
    ])
      expect(shown(`"${metric}"`) || shown(`Keywarden/${metric}/`), metric).toBe(true);
    expect(lines).toContain('AWS/SQS/ApproximateNumberOfMessagesVisible/QueueName/<JobQueue.QueueName>');
    expect(lines).toContain('AWS/SQS/ApproximateAgeOfOldestMessage/QueueName/<JobQueue.QueueName>');
    expect(lines).toContain(
      'AWS/SQS/ApproximateNumberOfMessagesVisible/QueueName/<JobDeadLetterQueue.QueueName>',
    );
    for (const f of ['SlackDashevents', 'Worker', 'Digest', 'Sweep', 'Policy']) {
      expect(lines).toContain(`AWS/Lambda/Errors/FunctionName/<${f}LambdaFunction>`);
      expect(lines).toContain(`AWS/Lambda/Duration/FunctionName/<${f}LambdaFunction>`);
    }
  });

  it('packages the policy file with the worker, which validates it at start-up', async () => {
    const zip = await readFile(`${root}.serverless/worker.zip`);
    expect(zip.includes(Buffer.from('infra/policies.yml'))).toBe(true);
  });

  it.each(['slack-events', 'worker', 'digest', 'sweep', 'policy'])(
    'ships %s as one ESM bundle within 1.5 MB that exports a handler',
    async (name) => {
      const path = `${root}.serverless/${name}.zip`;
      expect((await stat(path)).size).toBeLessThanOrEqual(MAX_ZIP_BYTES);
      const entry = firstZipEntry(await readFile(path));
      expect(entry.name).toBe(`functions/${name}.mjs`);
      expect(entry.content.length).toBeLessThanOrEqual(MAX_ZIP_BYTES);
      expect(entry.content.toString('utf8')).toMatch(/export\s*\{[^}]*\bas handler\b|export\{[^}]*handler/);
    },
  );
});
