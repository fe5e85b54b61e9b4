import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jobSchema } from '../../src/jobs/job.js';
import { connectionFields } from '../../src/providers/descriptor.js';
import { VENDOR_SPECS } from '../../src/providers/specs.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const MAX_ZIP_BYTES = 1_500 * 1024;
const FUNCTIONS = ['SlackDashevents', 'Worker', 'Digest', 'Sweep', 'Policy', 'AuditDasharchive'];

/**
 * A value for every deploy parameter, to see each reach the template: other than the default, except the time
 * zone (the default packaging sets it too) and the policy file (which must exist to be packaged). secretArn takes
 * the place of secretName.
 */
const EVERY_PARAM: Record<string, string> = {
  secretName: 'keywarden/prod',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:keywarden/prod-AbCdEf',
  tableName: 'keywarden-prod-2',
  timezone: 'Europe/Paris',
  admins: 'U0ADMIN01',
  adminGroup: 'S0ADMINS1',
  approvers: 'U0APPROVE1',
  approverGroup: 'S0APPROVE1',
  approvalsChannel: 'C0APPROVALS',
  auditChannel: 'C0AUDIT',
  digestChannel: 'C0DIGEST',
  securityChannel: 'C0SECURITY',
  dryRun: 'true',
  maxJobsPerUser: '2',
  maxJobs: '10',
  requestTtlHours: '48',
  retentionDays: '30',
  staleDays: '30',
  logLevel: 'debug',
  httpTimeoutMs: '2500',
  inventoryMaxAge: '30m',
  inventoryRate: '12',
  inventoryConcurrency: '4',
  inventoryRefreshSchedule: 'rate(10 minutes)',
  inventorySyncSchedule: 'cron(0 3 * * ? *)',
  policiesFile: 'infra/policies.yml',
  solvimonDeactivateBody: '{"status":"DISABLED"}',
  logRetentionDays: '30',
  workerConcurrency: '3',
  policySchedule: 'cron(0 7 * * ? *)',
  alarmEmail: 'keywarden-alarms@acme.example',
  tracing: 'true',
  httpRateLimit: '10',
  httpBurstLimit: '20',
  auditArchiveYears: '10',
};

/**
 * Documented settings that have no place on Lambda, each with why. Everything else in the README's tables is a
 * function environment variable or a key of the Secrets Manager secret.
 */
const LOCAL_ONLY: Record<string, string> = {
  // The port of the local HTTP server (`npm start`); on Lambda the HTTP API receives Slack's requests.
  PORT: 'local server',
  // Socket Mode, the local alternative to a public request URL; Lambda is reached over HTTP.
  SLACK_APP_TOKEN: 'Socket Mode',
  // Points the Slack Web API at a local fake, for tests; production talks to Slack.
  SLACK_API_URL: 'tests and local fakes',
  // Refuses the embedded sandboxes, which exist only locally; Lambda never serves a vendor from a sandbox.
  KEYWARDEN_REQUIRE_REAL: 'local sandboxes',
};

/** Where cfn-lint is, if anywhere: on PATH, or pyenv's shim. */
async function findCfnLint(): Promise<string | undefined> {
  for (const cmd of ['cfn-lint', join(homedir(), '.pyenv/shims/cfn-lint')]) {
    try {
      await run(cmd, ['--version'], { timeout: 60_000 });
      return cmd;
    } catch {
      // not this one
    }
  }
  return undefined;
}

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
  /** The template packaged with every deploy parameter set (EVERY_PARAM), in its own directory. */
  let tuned: Json;
  let tunedDir: string;

  beforeAll(async () => {
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('AWS_')) delete env[k];
    // First, as packaging clears .serverless/ wherever it writes.
    tunedDir = await mkdtemp(join(tmpdir(), 'keywarden-package-'));
    const params = Object.entries(EVERY_PARAM).map(([k, v]) => `--param=${k}=${v}`);
    await run('npm', ['run', 'package', '--', '--package', tunedDir, ...params], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    tuned = JSON.parse(await readFile(join(tunedDir, 'cloudformation-template-update-stack.json'), 'utf8'));
    await run('npm', ['run', 'package', '--', '--param=timezone=Europe/Paris'], {
      cwd: root,
      env,
      timeout: 120_000,
    });
    template = JSON.parse(
      await readFile(`${root}.serverless/cloudformation-template-update-stack.json`, 'utf8'),
    );
    resources = template.Resources;
  }, 300_000);

  afterAll(async () => {
    if (tunedDir) await rm(tunedDir, { recursive: true, force: true });
  });

  const fn = (name: string) => resources[`${name}LambdaFunction`].Properties;
  const roleOf = (name: string) => resources[fn(name).Role['Fn::GetAtt'][0]].Properties;
  const statements = (role: Json): Json[] => role.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);

  it('declares the functions on nodejs22.x, arm64, with their handlers and own roles', () => {
    expect(fn('SlackDashevents')).toMatchObject({
      Handler: 'functions/slack-events.handler',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
    });
    expect(fn('Worker')).toMatchObject({ Handler: 'functions/worker.handler', Runtime: 'nodejs22.x' });
    // The SQS trigger's MaximumConcurrency limits the worker instead of a reserved concurrency, which would throttle
    // the pollers (each throttled receive counting towards the dead-letter queue) and take from the account's
    // unreserved concurrency.
    expect(fn('Worker').ReservedConcurrentExecutions).toBeUndefined();
    expect(fn('Digest')).toMatchObject({ Handler: 'functions/digest.handler', Runtime: 'nodejs22.x' });
    expect(fn('Sweep')).toMatchObject({ Handler: 'functions/sweep.handler', Runtime: 'nodejs22.x' });
    expect(fn('Policy')).toMatchObject({ Handler: 'functions/policy.handler', Runtime: 'nodejs22.x' });
    expect(fn('AuditDasharchive')).toMatchObject({
      Handler: 'functions/audit-archive.handler',
      Runtime: 'nodejs22.x',
      Timeout: 60,
    });
    expect(new Set(FUNCTIONS.map((f) => fn(f).Role['Fn::GetAtt'][0]))).toEqual(
      new Set(['SlackEventsRole', 'WorkerRole', 'DigestRole', 'SweepRole', 'PolicyRole', 'AuditArchiveRole']),
    );
  });

  it('gives every role only named actions on named resources, and the secret to each only by name', () => {
    for (const name of [
      'SlackEventsRole',
      'WorkerRole',
      'DigestRole',
      'SweepRole',
      'PolicyRole',
      'AuditArchiveRole',
      'DigestSchedulerRole',
      'PolicySchedulerRole',
    ]) {
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
    // The digest also reads the exemptions, to list those ending in the coming week, and the inventory, for the
    // stale keys; it sends a run that failed for good to its failed-runs queue (Lambda's failure destination uses
    // the function's role).
    expect(actionsOf('Digest')).toEqual([
      'dynamodb:GetItem',
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
    expect(actionsOf('Worker')).toContain('dynamodb:BatchWriteItem');
    // A policy run reads its owners' notices in batches.
    expect(actionsOf('Worker')).toContain('dynamodb:BatchGetItem');
    // The policy schedule only queues the day's run: logs and the job queue, and its failed-runs queue (Lambda's
    // failure destination), nothing else.
    expect(actionsOf('Policy')).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
      'sqs:SendMessage',
    ]);
    // A failed job's visibility is shortened so it comes back in seconds (functions/worker.ts).
    expect(actionsOf('Worker')).toContain('sqs:ChangeMessageVisibility');
    // The worker queues the next slice of a long revocation on its own queue, and nothing else.
    const workerSqs = statements(roleOf('Worker')).find((s: Json) =>
      ([] as string[]).concat(s.Action).includes('sqs:SendMessage'),
    );
    expect(workerSqs.Resource).toEqual({ 'Fn::GetAtt': ['JobQueue', 'Arn'] });
    // The sweep reads the open-requests index and each request, and queues resumptions: no secret, no writes. The
    // second SendMessage is its failed-runs queue (Lambda's failure destination).
    expect(actionsOf('Sweep')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
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
    for (const f of FUNCTIONS) {
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

  it('sends failed jobs to a dead-letter queue after five tries', () => {
    const redrive = resources.JobQueue.Properties.RedrivePolicy;
    expect(redrive.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': ['JobDeadLetterQueue', 'Arn'] });
    expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
  });

  it('schedules the digest on Monday 09:00 in the configured time zone, through its own scheduler role', () => {
    expect(resources.DigestSchedule.Type).toBe('AWS::Scheduler::Schedule');
    expect(resources.DigestSchedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 9 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      Target: {
        Arn: { 'Fn::GetAtt': ['DigestLambdaFunction', 'Arn'] },
        RoleArn: { 'Fn::GetAtt': ['DigestSchedulerRole', 'Arn'] },
      },
    });
    expect(resources.PolicySchedule.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 8 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      Target: { RoleArn: { 'Fn::GetAtt': ['PolicySchedulerRole', 'Arn'] } },
    });
    expect(tuned.Resources.PolicySchedule.Properties.ScheduleExpression).toBe('cron(0 7 * * ? *)');
    // Each scheduler role invokes its function (the function itself: no version wildcard) and sends what it could
    // not deliver to that function's failed-runs queue.
    for (const [role, fnId, queue] of [
      ['DigestSchedulerRole', 'DigestLambdaFunction', 'DigestFailedRunsQueue'],
      ['PolicySchedulerRole', 'PolicyLambdaFunction', 'PolicyFailedRunsQueue'],
    ]) {
      expect(statements(resources[role as string].Properties)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [fnId, 'Arn'] } },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queue, 'Arn'] } },
      ]);
    }
  });

  it('retries a schedule Scheduler could not deliver, then dead-letters it to the function’s failed-runs queue', () => {
    for (const [schedule, queue] of [
      ['DigestSchedule', 'DigestFailedRunsQueue'],
      ['PolicySchedule', 'PolicyFailedRunsQueue'],
    ]) {
      const target = resources[schedule as string].Properties.Target;
      expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
      expect(target.RetryPolicy.MaximumEventAgeInSeconds).toBeLessThanOrEqual(86_400);
      expect(target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] } });
    }
    // Nothing else schedules the digest or the policy run; the other schedules are the inventory's.
    const schedules = Object.entries(resources).filter(
      ([, r]: [string, Json]) => r.Type === 'AWS::Scheduler::Schedule',
    );
    expect(schedules.map(([id]) => id).sort()).toEqual([
      'DigestSchedule',
      'InventoryRefreshSchedule',
      'InventorySyncSchedule',
      'PolicySchedule',
    ]);
  });

  it('sends the inventory’s refresh and daily sync to the job queue as jobs the worker accepts, one per scheduled time', () => {
    for (const [schedule, kind, every] of [
      ['InventoryRefreshSchedule', 'inventory.refresh', 'rate(15 minutes)'],
      ['InventorySyncSchedule', 'inventory.sync', 'cron(0 2 * * ? *)'],
    ] as const) {
      const props = resources[schedule].Properties;
      expect(props.ScheduleExpression).toBe(every);
      expect(props.Target.Arn).toEqual({ 'Fn::GetAtt': ['JobQueue', 'Arn'] });
      expect(props.Target.RoleArn).toEqual({ 'Fn::GetAtt': ['InventorySchedulerRole', 'Arn'] });
      // Scheduler puts the scheduled time in the id: what arrives is a job the worker's schema accepts.
      const sent = JSON.parse(
        String(props.Target.Input).replace('<aws.scheduler.scheduled-time>', '2026-11-26T15:00:00Z'),
      );
      expect(jobSchema.parse(sent)).toMatchObject({ kind, id: `${kind}:2026-11-26T15:00:00Z` });
    }
    const role = resources.InventorySchedulerRole.Properties.Policies[0].PolicyDocument.Statement;
    expect(role).toEqual([
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['JobQueue', 'Arn'] } },
    ]);
  });

  it('bounds the retries of every scheduled function and sends a failed run to its own queue', () => {
    const configs = Object.values(resources).filter((r: Json) => r.Type === 'AWS::Lambda::EventInvokeConfig');
    const configOf = (f: string) =>
      (configs as Json[]).find((c) => c.Properties.FunctionName.Ref === `${f}LambdaFunction`)?.Properties;
    for (const f of ['Digest', 'Policy', 'Sweep']) {
      const config = configOf(f);
      expect(config.DestinationConfig.OnFailure.Destination).toEqual({
        'Fn::GetAtt': [`${f}FailedRunsQueue`, 'Arn'],
      });
      expect(config.MaximumRetryAttempts).toBeLessThanOrEqual(2);
      expect(config.MaximumEventAgeInSeconds).toBeLessThanOrEqual(3600);
      expect(resources[`${f}FailedRunsQueue`].Type).toBe('AWS::SQS::Queue');
      // Lambda sends to the destination with the function's own role.
      const send = statements(roleOf(f)).find((s: Json) =>
        JSON.stringify(s.Resource).includes(`${f}FailedRunsQueue`),
      );
      expect(send.Action).toBe('sqs:SendMessage');
    }
  });

  it('limits the worker’s SQS trigger with MaximumConcurrency, a deploy parameter', () => {
    const mapping = resources.WorkerEventSourceMappingSQSJobQueue.Properties;
    expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: 5 });
    expect(tuned.Resources.WorkerEventSourceMappingSQSJobQueue.Properties.ScalingConfig).toEqual({
      MaximumConcurrency: 3,
    });
  });

  it('alarms, to one SNS topic, on every way Keywarden can fail', () => {
    const alarms = Object.entries(resources).filter(
      ([, r]: [string, Json]) => r.Type === 'AWS::CloudWatch::Alarm',
    );
    const on = (metric: string, dimension: Json) =>
      alarms.filter(
        ([, r]: [string, Json]) =>
          r.Properties.MetricName === metric &&
          JSON.stringify(r.Properties.Dimensions[0].Value) === JSON.stringify(dimension),
      );
    const one = (metric: string, dimension: Json) => {
      const found = on(metric, dimension);
      expect(found, `${metric} of ${JSON.stringify(dimension)}`).toHaveLength(1);
      return (found[0] as [string, Json])[1].Properties;
    };
    const dlq = one('ApproximateNumberOfMessagesVisible', {
      'Fn::GetAtt': ['JobDeadLetterQueue', 'QueueName'],
    });
    expect(dlq).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    const age = one('ApproximateAgeOfOldestMessage', { 'Fn::GetAtt': ['JobQueue', 'QueueName'] });
    expect(age).toMatchObject({ Threshold: 300, ComparisonOperator: 'GreaterThanThreshold' });
    for (const f of FUNCTIONS) {
      for (const metric of ['Errors', 'Throttles']) {
        expect(one(metric, { Ref: `${f}LambdaFunction` })).toMatchObject({
          Namespace: 'AWS/Lambda',
          Threshold: 0,
        });
      }
    }
    for (const q of [
      'DigestFailedRunsQueue',
      'PolicyFailedRunsQueue',
      'SweepFailedRunsQueue',
      'AuditArchiveFailedQueue',
    ]) {
      expect(one('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': [q, 'QueueName'] })).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    expect(alarms).toHaveLength(2 + 2 * FUNCTIONS.length + 4);
    for (const [, a] of alarms) {
      expect(a.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(a.Properties.AlarmName).toMatch(/^keywarden-ci-[a-z0-9-]+$/);
      expect(a.Properties.AlarmDescription).toContain('README.md#operations');
      expect(a.Properties.TreatMissingData).toBe('notBreaching');
    }
    expect(resources.AlarmTopic.Type).toBe('AWS::SNS::Topic');
  });

  it('subscribes the alarmEmail parameter to the alarms, and nobody when it is empty', () => {
    expect(resources.AlarmEmailSubscription.Condition).toBe('AlarmEmailGiven');
    expect(template.Conditions.AlarmEmailGiven).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
    expect(tuned.Conditions.AlarmEmailGiven).toEqual({
      'Fn::Not': [{ 'Fn::Equals': ['keywarden-alarms@acme.example', ''] }],
    });
    expect(tuned.Resources.AlarmEmailSubscription.Properties).toMatchObject({
      Protocol: 'email',
      Endpoint: 'keywarden-alarms@acme.example',
    });
  });

  it('limits the digest’s DynamoDB access to its ledger items, the exemptions and reading the inventory', () => {
    const dynamo = statements(roleOf('Digest')).filter((s: Json) =>
      [s.Action].flat().some((a: string) => a.startsWith('dynamodb:')),
    );
    expect(dynamo).toHaveLength(3);
    for (const s of dynamo) expect(s.Condition).toBeDefined();
    const ledger = dynamo.find((s: Json) => [s.Action].flat().includes('dynamodb:PutItem'));
    expect(ledger.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['JOB#digest:*'] },
    });
    const exemptions = dynamo.find((s: Json) => s.Action === 'dynamodb:Query');
    expect(exemptions.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['EXEMPT'] },
    });
    const inventory = dynamo.find((s: Json) => s !== ledger && s !== exemptions);
    expect(inventory.Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(inventory.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['INV#*', 'INVB#*', 'INVK#*'] },
    });
  });

  it('tries every deploy parameter of serverless.yml', async () => {
    // CloudFormation's short tags (!Ref, !GetAtt) are left unresolved: only the parameters' names matter here.
    const config = parse(await readFile(`${root}serverless.yml`, 'utf8'), { logLevel: 'silent' });
    // secretArn is optional, so it has no default.
    const declared = [...Object.keys(config.params.default), 'secretArn'];
    expect(Object.keys(EVERY_PARAM).sort()).toEqual(declared.sort());
  });

  it('reads the secret by ARN when the secretArn parameter gives one', () => {
    const arn = EVERY_PARAM.secretArn;
    for (const f of FUNCTIONS)
      expect(tuned.Resources[`${f}LambdaFunction`].Properties.Environment.Variables.KEYWARDEN_SECRET_ID).toBe(
        arn,
      );
    for (const role of ['SlackEventsRole', 'WorkerRole', 'DigestRole']) {
      const secret = statements(tuned.Resources[role].Properties).find(
        (s: Json) => s.Action === 'secretsmanager:GetSecretValue',
      );
      expect(secret.Resource).toBe(arn);
    }
  });

  it('keeps the table on demand, with TTL and point-in-time recovery, and retains it when the stack goes', () => {
    expect(resources.KeywardenTable.DeletionPolicy).toBe('Retain');
    expect(resources.KeywardenTable.UpdateReplacePolicy).toBe('Retain');
    expect(resources.KeywardenTable.Properties).toMatchObject({
      TableName: 'keywarden-ci',
      DeletionProtectionEnabled: true,
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    expect(tuned.Resources.KeywardenTable.Properties.TableName).toBe('keywarden-prod-2');
  });

  it('keeps the audit archive in a retained, versioned bucket under Object Lock in compliance mode', () => {
    const bucket = resources.AuditArchiveBucket;
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Years: 7 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    // The retention is a deploy parameter.
    const tunedRetention = tuned.Resources.AuditArchiveBucket.Properties.ObjectLockConfiguration.Rule;
    expect(Number(tunedRetention.DefaultRetention.Years)).toBe(10);
    // Only TLS reaches it.
    const policy = resources.AuditArchiveBucketPolicy.Properties;
    expect(policy.Bucket).toEqual({ Ref: 'AuditArchiveBucket' });
    expect(policy.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [
          { 'Fn::GetAtt': ['AuditArchiveBucket', 'Arn'] },
          { 'Fn::Sub': `\${AuditArchiveBucket.Arn}/*` },
        ],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    ]);
    for (const f of FUNCTIONS)
      expect(fn(f).Environment.Variables.KEYWARDEN_AUDIT_BUCKET).toEqual({ Ref: 'AuditArchiveBucket' });
  });

  it('wakes the audit archiver on the table’s stream, for appended audit events only, and keeps a batch it gave up on', () => {
    // Keys only: the archiver reads what to archive from the table.
    expect(resources.KeywardenTable.Properties.StreamSpecification).toEqual({ StreamViewType: 'KEYS_ONLY' });
    const mappings = Object.values(resources).filter(
      (r: Json) =>
        r.Type === 'AWS::Lambda::EventSourceMapping' &&
        JSON.stringify(r.Properties.EventSourceArn) ===
          JSON.stringify({ 'Fn::GetAtt': ['KeywardenTable', 'StreamArn'] }),
    ) as Json[];
    expect(mappings).toHaveLength(1);
    const mapping = (mappings[0] as Json).Properties;
    expect(mapping).toMatchObject({
      FunctionName: { 'Fn::GetAtt': ['AuditDasharchiveLambdaFunction', 'Arn'] },
      StartingPosition: 'LATEST',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 10,
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['AuditArchiveFailedQueue', 'Arn'] } } },
    });
    // Appends to the trail only: not the expiry the archiver sets (MODIFY), its mark (pk AUDITARCHIVE), an expiry
    // (REMOVE) or any other item.
    expect(mapping.FilterCriteria.Filters.map((f: Json) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { pk: { S: ['AUDIT'] } } } },
    ]);
    expect(resources.AuditArchiveFailedQueue.Properties).toMatchObject({
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
  });

  it('lets the audit archiver touch only the trail’s items, new objects under audit/, its stream and its failed-batch queue', () => {
    const role = roleOf('AuditDasharchive');
    expect(role.ManagedPolicyArns['Fn::If'][0]).toBe('TracingOn');
    const all = statements(role);
    for (const s of all) {
      for (const a of [s.Action].flat()) expect(a).not.toContain('*');
      for (const r of [s.Resource].flat()) expect(r).not.toBe('*');
    }
    const on = (action: string) => all.filter((s: Json) => [s.Action].flat().includes(action));
    expect(
      all
        .flatMap((s: Json) => [s.Action].flat())
        .filter((a: string) => !a.startsWith('logs:'))
        .sort(),
    ).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetItem',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:PutObject',
      'sqs:SendMessage',
    ]);
    const [table] = on('dynamodb:PutItem');
    expect(table.Resource).toEqual({ 'Fn::GetAtt': ['KeywardenTable', 'Arn'] });
    expect(table.Condition).toEqual({
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['AUDIT', 'AUDITARCHIVE'] },
    });
    expect(on('s3:PutObject')[0].Resource).toEqual({ 'Fn::Sub': `\${AuditArchiveBucket.Arn}/audit/*` });
    expect(on('dynamodb:GetRecords')[0].Resource).toEqual({ 'Fn::GetAtt': ['KeywardenTable', 'StreamArn'] });
    expect(on('sqs:SendMessage')[0].Resource).toEqual({ 'Fn::GetAtt': ['AuditArchiveFailedQueue', 'Arn'] });
    expect(JSON.stringify(on('logs:PutLogEvents')[0].Resource)).toContain(
      '/aws/lambda/keywarden-ci-audit-archive:',
    );
  });

  it('throttles the HTTP API and writes its access logs to a log group with retention', () => {
    const stage = resources.HttpApiStage.Properties;
    expect(stage.DefaultRouteSettings).toMatchObject({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    // A --param value is a string, which CloudFormation reads as the number it spells (as it does a Ref to a
    // Number parameter).
    const tunedRoutes = tuned.Resources.HttpApiStage.Properties.DefaultRouteSettings;
    expect([Number(tunedRoutes.ThrottlingBurstLimit), Number(tunedRoutes.ThrottlingRateLimit)]).toEqual([
      20, 10,
    ]);
    expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': ['HttpApiLogGroup', 'Arn'] });
    expect(resources.HttpApiLogGroup.Properties.RetentionInDays).toBe(90);
  });

  it('traces with X-Ray only when the tracing parameter is on, with the permission to', () => {
    for (const f of FUNCTIONS) {
      expect(fn(f).TracingConfig).toBeUndefined();
      expect(tuned.Resources[`${f}LambdaFunction`].Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(roleOf(f).ManagedPolicyArns['Fn::If'][0]).toBe('TracingOn');
    }
    expect(template.Conditions.TracingOn).toEqual({ 'Fn::Equals': [false, true] });
    expect(tuned.Conditions.TracingOn).toEqual({ 'Fn::Equals': [true, true] });
  });

  it('can set every documented setting on AWS: a function environment variable, a secret key, or local only', async () => {
    const readme = await readFile(`${root}README.md`, 'utf8');
    const documented = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1] as string);
    expect(documented.length).toBeGreaterThan(20);
    const secretKeys = new Set([
      'SLACK_SIGNING_SECRET',
      'SLACK_BOT_TOKEN',
      ...VENDOR_SPECS.descriptors.flatMap((v) => [
        ...Object.entries(v.fields)
          .filter(([, f]) => f.secret)
          .map(([name]) => name),
        ...connectionFields(v),
      ]),
    ]);
    const where = (name: string) => {
      if (name in LOCAL_ONLY) return 'local only';
      if (FUNCTIONS.every((f) => name in fn(f).Environment.Variables)) return 'environment';
      if (secretKeys.has(name)) return 'secret';
      return 'nowhere';
    };
    expect(documented.filter((n) => where(n) === 'nowhere')).toEqual([]);
    // A setting in the environment is made by the stack, or takes the value of a deploy parameter.
    const STACK_MADE = {
      KEYWARDEN_TABLE: { Ref: 'KeywardenTable' },
      KEYWARDEN_QUEUE_URL: { Ref: 'JobQueue' },
      KEYWARDEN_AUDIT_BUCKET: { Ref: 'AuditArchiveBucket' },
    };
    const paramValues = new Set(Object.values(EVERY_PARAM));
    for (const name of documented.filter((n) => where(n) === 'environment')) {
      for (const f of FUNCTIONS) {
        const value = tuned.Resources[`${f}LambdaFunction`].Properties.Environment.Variables[name];
        if (name in STACK_MADE) expect(value).toEqual(STACK_MADE[name as keyof typeof STACK_MADE]);
        else
          expect(paramValues.has(value), `${name}=${JSON.stringify(value)} comes from a parameter`).toBe(
            true,
          );
      }
    }
    // Settings left unset are empty, which Keywarden reads as unset.
    expect(fn('Worker').Environment.Variables.KEYWARDEN_LOG_LEVEL).toBe('');
  });

  it('sets log retention on every function', () => {
    for (const f of FUNCTIONS) expect(resources[`${f}LogGroup`].Properties.RetentionInDays).toBe(90);
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
    for (const f of FUNCTIONS) {
      expect(lines).toContain(`AWS/Lambda/Errors/FunctionName/<${f}LambdaFunction>`);
      expect(lines).toContain(`AWS/Lambda/Duration/FunctionName/<${f}LambdaFunction>`);
    }
  });

  it('packages the policy file with the worker, which validates it at start-up', async () => {
    const zip = await readFile(`${root}.serverless/worker.zip`);
    expect(zip.includes(Buffer.from('infra/policies.yml'))).toBe(true);
  });

  it.each(['slack-events', 'worker', 'digest', 'sweep', 'policy', 'audit-archive'])(
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

  it('passes cfn-lint with no error, with the defaults and with every parameter set', async (ctx) => {
    const cfnLint = await findCfnLint();
    if (!cfnLint) {
      console.warn('cfn-lint not found (on PATH or in ~/.pyenv/shims): the template was not linted');
      ctx.skip();
      return;
    }
    const files = [
      `${root}.serverless/cloudformation-template-update-stack.json`,
      join(tunedDir, 'cloudformation-template-update-stack.json'),
    ];
    // cfn-lint exits non-zero for warnings too; its JSON report says which are errors.
    const stdout = await run(cfnLint, ['--format', 'json', ...files], {
      timeout: 120_000,
      maxBuffer: 16 << 20,
    })
      .then((r) => r.stdout)
      .catch((err: { stdout?: string }) => {
        if (!err.stdout) throw err;
        return err.stdout;
      });
    const findings = JSON.parse(stdout) as { Level: string; Rule: { Id: string }; Message: string }[];
    expect(findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id} ${f.Message}`)).toEqual([]);
  }, 150_000);
});
