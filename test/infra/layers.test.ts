import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cruise, type IReporterOutput } from 'dependency-cruiser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const rules = createRequire(import.meta.url)('../../.dependency-cruiser.cjs');

/** Runs the project's rules over a small tree laid out like src/, and returns the names of the rules it breaks. */
async function violations(root: string, files: Record<string, string>): Promise<string[]> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  const cwd = process.cwd();
  process.chdir(root);
  try {
    const result: IReporterOutput = await cruise(['src'], {
      validate: true,
      ruleSet: { forbidden: rules.forbidden },
      tsPreCompilationDeps: true,
      parser: 'swc',
      enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    });
    const output = result.output as { summary: { violations: Array<{ rule: { name: string } }> } };
    return output.summary.violations.map((v) => v.rule.name).sort();
  } finally {
    process.chdir(cwd);
  }
}

describe('layer rules (.dependency-cruiser.cjs, run by npm test)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keywarden-layers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fails a domain module that imports a service, and names the rule', async () => {
    const found = await violations(join(dir, 'a'), {
      'src/domain/key.ts': "import type { Scan } from '../services/scan.ts';\nexport type Key = Scan;\n",
      'src/services/scan.ts': 'export type Scan = { id: string };\n',
    });
    expect(found).toEqual(['domain-imports-nothing']);
  });

  it('fails a cycle made of type imports alone', async () => {
    const found = await violations(join(dir, 'b'), {
      'src/jobs/a.ts': "import type { B } from './b.ts';\nexport type A = { b?: B };\n",
      'src/jobs/b.ts': "import type { A } from './a.ts';\nexport type B = { a?: A };\n",
    });
    expect(found).toContain('no-cycles');
  });

  it('fails an adapter that imports a use case, and a service that imports an adapter', async () => {
    const found = await violations(join(dir, 'c'), {
      'src/store/x.ts': "import { run } from '../services/y.ts';\nexport const x = run;\n",
      'src/services/y.ts': "import { client } from '../http/z.ts';\nexport const run = () => client;\n",
      'src/http/z.ts': 'export const client = 1;\n',
    });
    expect(found).toEqual(['adapters-not-above', 'services-only-domain']);
  });
});
