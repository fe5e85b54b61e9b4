import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const MAX_ZIP_BYTES = 1_500 * 1024;
const FUNCTIONS = ['SlackDashevents', 'Worker', 'Digest', 'Sweep', 'Policy'];

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is arbitrary JSON
type Json = any;

/**
 * The files in a zip serverless-esbuild wrote, in order. Sizes come from the central directory, since the local
 * header may defer them to a data descriptor.
 */
function zipEntries(zip: Buffer): { name: string; content: Buffer }[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip');
  const count = zip.readUInt16LE(eocd + 10);
  let central = zip.readUInt32LE(eocd + 16);
  const entries: { name: string; content: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(central) !== 0x02014b50) throw new Error('no central directory');
    const method = zip.readUInt16LE(central + 10);
    const size = zip.readUInt32LE(central + 20);
    const nameLength = zip.readUInt16LE(central + 28);
    const extraLength = zip.readUInt16LE(central + 30);
    const commentLength = zip.readUInt16LE(central + 32);
    const name = zip.subarray(central + 46, central + 46 + nameLength).toString('utf8');
    const local = zip.readUInt32LE(central + 42);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    entries.push({ name, content: method === 8 ? inflateRawSync(data) : data });
    central += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
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

  it('packages the policy file with the worker, which validates it at start-up', async () => {
    const zip = await readFile(`${root}.serverless/worker.zip`);
    expect(zip.includes(Buffer.from('infra/policies.yml'))).toBe(true);
  });

  it.each(['slack-events', 'worker', 'digest', 'sweep', 'policy'])(
    'ships %s as one ESM bundle within 1.5 MB that exports a handler, with its source map',
    async (name) => {
      const path = `${root}.serverless/${name}.zip`;
      expect((await stat(path)).size).toBeLessThanOrEqual(MAX_ZIP_BYTES);
      const entries = zipEntries(await readFile(path));
      const bundles = entries.filter((e) => e.name.endsWith('.mjs'));
      expect(bundles.map((e) => e.name)).toEqual([`functions/${name}.mjs`]);
      const bundle = bundles[0] as { name: string; content: Buffer };
      // The size that matters for a cold start is the code's; the map is read only to format a stack trace.
      expect(bundle.content.length).toBeLessThanOrEqual(MAX_ZIP_BYTES);
      const code = bundle.content.toString('utf8');
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b|export\{[^}]*handler/);
      expect(code).toMatch(new RegExp(`//# sourceMappingURL=${name}\\.mjs\\.map\\s*$`));
      const map = entries.find((e) => e.name === `functions/${name}.mjs.map`);
      expect(map, 'source map').toBeDefined();
      const parsed = JSON.parse((map as { content: Buffer }).content.toString('utf8'));
      expect(parsed.sources.some((s: string) => s.endsWith(`functions/${name}.ts`))).toBe(true);
    },
  );

  it('turns source maps on in every function', () => {
    for (const f of FUNCTIONS) expect(fn(f).Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

});
