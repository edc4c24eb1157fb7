import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { closest } from '../../lib/config/paths';
import { UsageError } from '../../lib/errors';
import { POLICY_IDS, type PolicySeverity } from './policy';

/** The optional repository file with validate settings: `{ "policies": { "<id>": "error" | "warning" | "off" } }`. */
export const SETTINGS_FILE = 'eksai.validate.json';

const SEVERITIES: readonly PolicySeverity[] = ['error', 'warning', 'off'];
/** The keys eksai.validate.json may have (a misspelled one would otherwise be ignored in silence). */
const SETTINGS_KEYS: readonly string[] = ['policies'];

const didYouMean = (word: string, candidates: readonly string[]) => {
  const guess = closest(word, candidates);
  return guess ? `did you mean ${JSON.stringify(guess)}?` : `use one of ${candidates.join(', ')}`;
};

function checked(id: string, severity: unknown, where: string): [string, PolicySeverity] {
  if (!POLICY_IDS.includes(id)) throw new UsageError(`${where}: unknown policy ${JSON.stringify(id)}: use one of ${POLICY_IDS.join(', ')}`);
  if (!SEVERITIES.includes(severity as PolicySeverity)) {
    throw new UsageError(`${where}: policy ${id} severity must be one of ${SEVERITIES.join(', ')} (got ${JSON.stringify(severity)})`);
  }
  return [id, severity as PolicySeverity];
}

/**
 * Policy severities from eksai.validate.json (if present in cwd), then `--policy <id>=<severity>` flags, which
 * win. Unknown ids or severities are usage errors naming where they came from.
 */
export function policySeverities(cwd: string, flags: readonly string[]): Record<string, PolicySeverity> {
  const out: Record<string, PolicySeverity> = {};
  const file = join(cwd, SETTINGS_FILE);
  if (existsSync(file)) {
    let settings: unknown;
    try {
      settings = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`${SETTINGS_FILE}: not valid JSON (${(err as Error).message}): fix the file`);
    }
    if (typeof settings !== 'object' || settings === null || Array.isArray(settings))
      throw new UsageError(`${SETTINGS_FILE}: must be an object such as { "policies": { "no-latest-ami-alias": "warning" } }`);
    for (const key of Object.keys(settings)) {
      if (!SETTINGS_KEYS.includes(key)) throw new UsageError(`${SETTINGS_FILE}: ${JSON.stringify(key)} is not a known key: ${didYouMean(key, SETTINGS_KEYS)}`);
    }
    const policies = (settings as { policies?: unknown }).policies ?? {};
    if (typeof policies !== 'object' || policies === null || Array.isArray(policies))
      throw new UsageError(`${SETTINGS_FILE}: policies must be an object of policy id → severity`);
    for (const [id, severity] of Object.entries(policies)) {
      const [k, v] = checked(id, severity, `${SETTINGS_FILE}: policies.${id}`);
      out[k] = v;
    }
  }
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq < 0) throw new UsageError(`--policy ${flag}: expected <id>=error|warning|off, e.g. --policy no-latest-ami-alias=warning`);
    const [k, v] = checked(flag.slice(0, eq), flag.slice(eq + 1), `--policy ${flag}`);
    out[k] = v;
  }
  return out;
}
