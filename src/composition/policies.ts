import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicyFile } from '../config/policies.js';
import type { Settings } from '../config/settings.js';
import type { Policy } from '../domain/policy.js';
import type { VendorCatalog } from '../domain/vendors.js';

/** Keywarden's own folder: the policy file that ships with it is found there when the working directory has none. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the policy file is: `KEYWARDEN_POLICIES_FILE` (default `infra/policies.yml`), an absolute path as it is, a
 * relative one in the working directory (on Lambda, the task root the file is packaged in) or else in Keywarden's
 * own folder. `name` is how messages call it.
 */
export function policyFilePath(
  setting: string,
  options: { cwd?: string; given?: boolean } = {},
): { path: string; name: string } {
  if (isAbsolute(setting)) return { path: setting, name: setting };
  const inCwd = resolve(options.cwd ?? process.cwd(), setting);
  if (options.given || existsSync(inCwd)) return { path: inCwd, name: setting };
  const inPackage = resolve(PACKAGE_ROOT, setting);
  if (existsSync(inPackage)) return { path: inPackage, name: inPackage };
  return { path: inCwd, name: setting };
}

/** The policy set, validated whole: a bad file throws PolicyFileError naming every problem, and nothing runs. */
export function loadPolicies(settings: Settings, vendors: VendorCatalog, cwd?: string): Policy[] {
  const file = policyFilePath(settings.policiesFile, { cwd });
  return loadPolicyFile(file.path, vendors, { name: file.name });
}
