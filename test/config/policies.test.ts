import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadPolicyFile, PolicyFileError, parsePolicies } from '../../src/config/policies.js';
import type { Policy } from '../../src/domain/policy.js';
import { ConfigError, userMessage } from '../../src/http/errors.js';
import { VENDORS } from '../../src/providers/registry.js';
import { globMatch } from '../../src/util/glob.js';

const FILE = 'infra/policies.yml';
const parse = (text: string) => parsePolicies(text, FILE, VENDORS);

/** The problems in `text`, one string per line of the error; fails the test if the file is accepted. */
function problems(text: string): string[] {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyFileError);
    return (err as Error).message.split('\n');
  }
  throw new Error('the file was accepted');
}

/** A one-policy file: `lines` are the policy's fields, indented under `- name: p`. */
const onePolicy = (...lines: string[]) =>
  ['policies:', '  - name: p', ...lines.map((l) => `    ${l}`)].join('\n');

describe('parsePolicies', () => {
  it('reads a minimal policy and fills in every default', () => {
    expect(parse('policies:\n  - name: idle\n    idle_days: 90\n')).toEqual([
      {
        name: 'idle',
        idleDays: 90,
        neverUsedGraceDays: 90,
        exclude: { owners: [], groups: [], keyNames: [] },
        notifyOwner: true,
        graceDays: 14,
        // biome-ignore lint/suspicious/noThenProperty: Policy's field, a string
        then: 'report',
        ownerMayRevoke: false,
      },
    ] satisfies Policy[]);
  });

  it('reads every field, snake_case in the file and camelCase in the Policy', () => {
    const text = `
policies:
  - name: strict-keys-2
    vendors: [idmelon, trymellon]
    types: [phone, badge, passkey]
    idle_days: 30
    never_used_grace_days: 0
    exclude:
      owners: [alice@acme.example, '*@contractors.example']
      groups: [Executives]
      key_names: ['break-glass-*']
    notify_owner: false
    grace_days: 0
    then: request_revocation
    owner_may_revoke: true
    approvals_channel: C012ABCDEF
    approvers: [U012ABCDEF, W034GHIJKL]
`;
    expect(parse(text)).toEqual([
      {
        name: 'strict-keys-2',
        vendors: ['idmelon', 'trymellon'],
        types: ['phone', 'badge', 'passkey'],
        idleDays: 30,
        neverUsedGraceDays: 0,
        exclude: {
          owners: ['alice@acme.example', '*@contractors.example'],
          groups: ['Executives'],
          keyNames: ['break-glass-*'],
        },
        notifyOwner: false,
        graceDays: 0,
        // biome-ignore lint/suspicious/noThenProperty: Policy's field, a string
        then: 'request_revocation',
        ownerMayRevoke: true,
        approvalsChannel: 'C012ABCDEF',
        approvers: ['U012ABCDEF', 'W034GHIJKL'],
      },
    ] satisfies Policy[]);
  });

  it('takes an optional field left empty (`exclude:` with everything under it commented out) as left out', () => {
    const [policy] = parse(onePolicy('idle_days: 10', 'exclude:', '  # owners: []', 'approvers:'));
    expect(policy?.exclude).toEqual({ owners: [], groups: [], keyNames: [] });
    expect(policy).not.toHaveProperty('approvers');
  });

  it('accepts a file with no policies at all', () => {
    expect(parse('policies: []\n')).toEqual([]);
  });

  it.each([
    [['idle_days: 0'], '3 idle_days: expected a whole number from 1 to 3650'],
    [['idle_days: 3651'], '3 idle_days: expected a whole number from 1 to 3650'],
    [['idle_days: 2.5'], '3 idle_days: expected a whole number from 1 to 3650'],
    [['idle_days: "90"'], '3 idle_days: expected a whole number from 1 to 3650'],
    [['idle_days: .inf'], '3 idle_days: expected a whole number from 1 to 3650'],
    [['vendors: [idmelon]'], '2 idle_days: is required (a whole number from 1 to 3650)'],
    [['idle_days:'], '3 idle_days: is required (a whole number from 1 to 3650)'],
    [
      ['idle_days: 9', 'never_used_grace_days: -1'],
      '4 never_used_grace_days: expected a whole number from 0 to 3650',
    ],
    [['idle_days: 9', 'grace_days: 366'], '4 grace_days: expected a whole number from 0 to 365'],
    [
      ['idle_days: 9', 'vendors: [idmelon, okta]'],
      '4 vendors[1]: unknown vendor "okta"; expected idmelon, trymellon or solvimon',
    ],
    [
      ['idle_days: 9', 'vendors: idmelon'],
      '4 vendors: expected a list of vendor ids, not empty (leave the field out instead)',
    ],
    [
      ['idle_days: 9', 'vendors: []'],
      '4 vendors: expected a list of vendor ids, not empty (leave the field out instead)',
    ],
    [
      ['idle_days: 9', 'types: [phone, yubikey]'],
      '4 types[1]: unknown key type "yubikey"; expected phone, badge, desktop, passkey or api-key',
    ],
    [['idle_days: 9', 'notify_owner: yes'], '4 notify_owner: expected true or false'],
    [['idle_days: 9', 'owner_may_revoke: 1'], '4 owner_may_revoke: expected true or false'],
    [['idle_days: 9', 'then: revoke'], '4 then: expected report or request_revocation'],
    [
      ['idle_days: 9', 'approvals_channel: D012ABCDEF'],
      '4 approvals_channel: expected a Slack channel id such as C012ABCDEF',
    ],
    [
      ['idle_days: 9', 'approvers: [U012ABCDEF, alice]'],
      '4 approvers[1]: expected a Slack user id such as U012ABCDEF',
    ],
    [['idle_days: 9', 'exclude: []'], '4 exclude: expected a map of owners, groups and key_names'],
    [
      ['idle_days: 9', 'exclude:', '  owners: [alice]'],
      '5 exclude.owners[0]: expected an email or a glob such as *@contractors.example',
    ],
    [
      ['idle_days: 9', 'exclude:', '  owners: alice@acme.example'],
      '5 exclude.owners: expected a list of emails or globs such as *@contractors.example',
    ],
    [['idle_days: 9', 'exclude:', "  groups: ['  ']"], '5 exclude.groups[0]: expected a group name'],
  ])('refuses %j with file:line field: message', (fields, problem) => {
    expect(problems(onePolicy(...fields))).toEqual([`${FILE}:${problem}`]);
  });

  it.each([
    ['policies:\n  - name: Idle_Keys\n    idle_days: 9\n', '2 name'],
    [`policies:\n  - name: ${'a'.repeat(41)}\n    idle_days: 9\n`, '2 name'],
    ['policies:\n  - name: ""\n    idle_days: 9\n', '2 name'],
  ])('refuses a name that is not 1 to 40 characters a-z, 0-9 and - (%j)', (text, where) => {
    expect(problems(text)).toEqual([
      `${FILE}:${where}: expected a name of 1 to 40 characters a-z, 0-9 and -`,
    ]);
  });

  it('reports every problem in the file at once, in line order, and returns no policy', () => {
    const text = `policies:
  - name: first
    idle_days: 0
    then: revoke
  - name: second
    idle_days: 30
  - name: Third
    vendors: [okta]
    idle_days: 30
    grace_days: 400
`;
    expect(problems(text)).toEqual([
      `${FILE}:3 idle_days: expected a whole number from 1 to 3650`,
      `${FILE}:4 then: expected report or request_revocation`,
      `${FILE}:7 name: expected a name of 1 to 40 characters a-z, 0-9 and -`,
      `${FILE}:8 vendors[0]: unknown vendor "okta"; expected idmelon, trymellon or solvimon`,
      `${FILE}:10 grace_days: expected a whole number from 0 to 365`,
    ]);
  });

  it('keeps each problem in the error, with its line and field', () => {
    try {
      parse(onePolicy('idle_days: 0', 'then: revoke'));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect(err).toMatchObject({
        file: FILE,
        problems: [
          { line: 3, field: 'idle_days', message: 'expected a whole number from 1 to 3650' },
          { line: 4, field: 'then', message: 'expected report or request_revocation' },
        ],
      });
      expect(userMessage(err)).toBe(
        `Configuration problem: ${FILE}:3 idle_days: expected a whole number from 1 to 3650\n` +
          `${FILE}:4 then: expected report or request_revocation`,
      );
    }
  });

  describe('refuses unknown fields, so a typo cannot silently turn a rule off', () => {
    it('in a policy, suggesting the field meant', () => {
      expect(problems(onePolicy('idle_days: 9', 'exlude:', '  owners: [ceo@acme.example]'))).toEqual([
        `${FILE}:4 exlude: unknown field (did you mean exclude?)`,
      ]);
      expect(problems(onePolicy('idle_days: 9', 'idle-days: 9'))).toEqual([
        `${FILE}:4 idle-days: unknown field (did you mean idle_days?)`,
      ]);
    });

    it('in exclude', () => {
      expect(problems(onePolicy('idle_days: 9', 'exclude:', "  keynames: ['break-glass-*']"))).toEqual([
        `${FILE}:5 exclude.keynames: unknown field (did you mean key_names?)`,
      ]);
      expect(problems(onePolicy('idle_days: 9', 'exclude:', '  people: []'))).toEqual([
        `${FILE}:5 exclude.people: unknown field; expected owners, groups or key_names`,
      ]);
    });

    it('at the top of the file', () => {
      expect(problems('polices:\n  - name: p\n    idle_days: 9\n')).toEqual([
        `${FILE}:1 policies: is required (a list of policies)`,
        `${FILE}:1 polices: unknown field (did you mean policies?)`,
      ]);
    });
  });

  it('refuses two policies with the same name, pointing at the first', () => {
    const text = 'policies:\n  - name: idle\n    idle_days: 9\n  - name: idle\n    idle_days: 30\n';
    expect(problems(text)).toEqual([`${FILE}:4 name: "idle" is already the name of the policy at line 2`]);
  });

  it('refuses a key type that belongs to none of the vendors the policy lists', () => {
    expect(problems(onePolicy('idle_days: 9', 'vendors: [idmelon]', 'types: [phone, passkey]'))).toEqual([
      `${FILE}:5 types[1]: passkey is a key type of trymellon, which is not in this policy's vendors (idmelon)`,
    ]);
    // Without vendors, the types say which vendors are meant.
    expect(parse(onePolicy('idle_days: 9', 'types: [phone, passkey]'))[0]?.types).toEqual([
      'phone',
      'passkey',
    ]);
  });

  it.each([
    [
      'policies:\n  - name: a\n    idle_days: 1\n    idle_days: 2\n',
      `${FILE}:4: invalid YAML: Map keys must be unique`,
    ],
    ['policies:\n  - name: "unclosed\n    idle_days: 1\n', `${FILE}:3: invalid YAML: Missing closing "quote`],
    ['policies:\n  - name: a\n\tidle_days: 1\n', `${FILE}:3: invalid YAML:`],
  ])('reports a YAML syntax error with its line (%j)', (text, problem) => {
    const [first] = problems(text);
    expect(first?.startsWith(problem)).toBe(true);
  });

  it.each([
    ['', `${FILE}:1: the file is empty; expected a policies: list`],
    ['# nothing yet\n', `${FILE}:1: the file is empty; expected a policies: list`],
    ['- name: p\n  idle_days: 9\n', `${FILE}:1: expected a map with a policies: list`],
    ['policies:\n', `${FILE}:1 policies: is required (a list of policies)`],
    ['policies:\n  - idle\n', `${FILE}:2 policies[0]: expected a map of policy fields`],
  ])('refuses a file without a list of policies (%j)', (text, problem) => {
    expect(problems(text)).toEqual([problem]);
  });

  it('never quotes a long value or key from the file back', () => {
    const long = `okta-${'x'.repeat(60)}`;
    const lines = problems(onePolicy('idle_days: 9', `vendors: [${long}]`, `${long}: 1`, `types: [${long}]`));
    expect(lines).toEqual([
      `${FILE}:4 vendors[0]: unknown vendor; expected idmelon, trymellon or solvimon`,
      `${FILE}:5 (a key of 65 characters): unknown field; expected name, vendors, types, idle_days, never_used_grace_days, exclude, notify_owner, grace_days, then, owner_may_revoke, approvals_channel or approvers`,
      `${FILE}:6 types[0]: unknown key type; expected phone, badge, desktop, passkey or api-key`,
    ]);
    expect(lines.join('\n')).not.toContain('xxxxxxxxxx');
  });

  it('reports a field reached through a YAML alias where the alias is', () => {
    const text = 'policies:\n  - &base\n    name: a\n    idle_days: 9\n  - *base\n';
    expect(problems(text)).toEqual([`${FILE}:5 name: "a" is already the name of the policy at line 3`]);
  });

  it('parses the shipped infra/policies.yml, which only reports', () => {
    const text = readFileSync(new URL('../../infra/policies.yml', import.meta.url), 'utf8');
    const policies = parse(text);
    expect(policies.map((p) => p.name)).toEqual(['idle-security-keys', 'idle-passkeys']);
    expect(policies.every((p) => p.then === 'report')).toBe(true);
    expect(policies[0]).toMatchObject({
      vendors: ['idmelon'],
      idleDays: 90,
      notifyOwner: true,
      graceDays: 14,
    });
    expect(policies[1]).toMatchObject({ vendors: ['trymellon'], idleDays: 180 });
  });
});

describe('loadPolicyFile', () => {
  it('reads the file at the path', () => {
    const path = new URL('../../infra/policies.yml', import.meta.url).pathname;
    expect(loadPolicyFile(path, VENDORS)).toHaveLength(2);
  });

  it('says in one sentence that the file does not exist, naming its path', () => {
    expect(() => loadPolicyFile('/nowhere/policies.yml', VENDORS)).toThrow(
      new PolicyFileError('/nowhere/policies.yml', [
        { message: 'the policy file /nowhere/policies.yml does not exist' },
      ]),
    );
    try {
      loadPolicyFile('/nowhere/policies.yml', VENDORS, { name: 'policies.yml' });
    } catch (err) {
      expect((err as Error).message).toBe('the policy file policies.yml does not exist');
    }
  });
});

describe('globMatch', () => {
  it.each([
    ['*@contractors.example', 'bob@contractors.example', true],
    ['*@contractors.example', 'Bob@Contractors.EXAMPLE', true],
    ['*@contractors.example', 'bob@contractors.example.evil', false],
    ['*@contractors.example', 'bob@acme.example', false],
    ['break-glass-*', 'break-glass-1', true],
    ['break-glass-*', 'break-glass-', true],
    ['break-glass-*', 'break-glass', false],
    ['break-glass-*', 'my-break-glass-1', false],
    ['alice@acme.example', 'ALICE@acme.example', true],
    ['alice@acme.example', 'alice@acme.exampl', false],
    ['key-?', 'key-1', true],
    ['key-?', 'key-', false],
    ['key-?', 'key-12', false],
    ['key-?', 'key-🔑', true],
    ['*', '', true],
    ['*', 'anything', true],
    ['', '', true],
    ['', 'a', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['**x', 'x', true],
    ['a.b', 'aXb', false],
    ['[ab]', 'a', false],
    ['[ab]', '[AB]', true],
  ])('globMatch(%j, %j) is %s', (pattern, text, expected) => {
    expect(globMatch(pattern, text)).toBe(expected);
  });

  it('finishes quickly on a pattern that makes regular expressions backtrack', () => {
    const started = Date.now();
    expect(globMatch(`${'*a'.repeat(30)}b`, 'a'.repeat(5000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
