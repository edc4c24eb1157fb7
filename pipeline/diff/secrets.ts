/**
 * What diff never prints. The rule, applied to every value diff shows (field changes, whole list items,
 * objects serialized inside strings) so that a change stays visible (`(changed, value hidden)`) and the
 * value never is:
 *
 * 1. Secret objects: everything under `data` / `stringData` of any `kind: Secret` object, wherever it sits
 *    (a resource, an item of a `kind: List`, a manifest inside Helm values, the object serialized in a
 *    `kubectl.kubernetes.io/last-applied-configuration` annotation). Nothing below can un-hide it.
 * 2. Secret-bearing keys: a map key whose words name a secret (`password`, `clientSecret`, `apiToken`,
 *    `tls.key`, `AWS_SECRET_ACCESS_KEY`, `.dockerconfigjson`...) hides its value and everything below,
 *    except below keys that describe or reference a secret rather than hold it (`secretName`,
 *    `secretKeyRef`, `valueFrom`, `tokenPath`, `existingSecret`, `passwordFile`, `name`...), since those hold
 *    names, not values. A bare `key` is a selector, and `topologyKey`/`sortKey` are not key material: `key`
 *    counts only with a qualifier (`api`, `private`, `access`, `tls`, `ssh`, `signing`...).
 * 3. Literal name/value pairs: the `value` of a `{name, value}` or `{key, value}` entry whose name is
 *    secret-bearing (`env: [{name: DB_PASSWORD, value: ...}]`, Argo CD `helm.parameters`); a `valueFrom`
 *    entry is a reference and stays visible.
 * 4. Secret-looking strings, under any key: PEM private keys, URLs with a password (`https://u:p@host`),
 *    JWTs, well-known token formats (AWS access key ids, GitHub and Slack tokens), `secret-key: value` or
 *    `--password=value` assignments inside a string, and a serialized Secret that could not be parsed.
 * Booleans and null are never hidden under rule 2 (they cannot carry a secret).
 */

/** Hidden state of a subtree: 'hard' (rule 1; never cleared) or 'soft' (rule 2; cleared by reference keys). */
export type Hidden = false | 'soft' | 'hard';

/** What a hidden value is replaced with where a whole value is shown (a removed list item, a scalar list). */
export const HIDDEN_VALUE = '(hidden)';

import { isSecretKey, isSecretText, words, DESCRIPTOR_WORDS } from '../../lib/secrets';

export { isSecretKey, isSecretText };

/** A key below which values are names or references, not secrets: clears a soft hide. */
function isReferenceKey(key: string): boolean {
  if (key === 'valueFrom' || key === 'name') return true;
  const w = words(key);
  return w.length > 0 && (w[0] === 'existing' || DESCRIPTOR_WORDS.has(w[w.length - 1]!)) && !isSecretKey(key);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A `kind: Secret` object (rule 1), anywhere in a tree. */
export function isSecretObject(v: unknown): boolean {
  return isObject(v) && v.kind === 'Secret' && typeof v.apiVersion === 'string';
}

/** Whether a name/value entry (rule 3) names a secret. */
function namesSecret(entry: unknown): boolean {
  if (!isObject(entry)) return false;
  return (typeof entry.name === 'string' && isSecretKey(entry.name)) || (typeof entry.key === 'string' && isSecretKey(entry.key));
}

/**
 * The hidden state of `key` below a parent (either revision's value of it: a key is hidden when it is in
 * either), given the parent's own state.
 */
export function childHidden(parents: readonly unknown[], key: string, hidden: Hidden): Hidden {
  if (hidden === 'hard') return 'hard';
  if ((key === 'data' || key === 'stringData') && parents.some(isSecretObject)) return 'hard';
  if (key === 'value' && parents.some(namesSecret)) return 'soft';
  if (isSecretKey(key)) return 'soft';
  if (isReferenceKey(key)) return false;
  return hidden;
}

/** Whether a leaf is hidden: under a hidden key (booleans and null excepted for soft), or secret-looking itself. */
export function leafHidden(hidden: Hidden, ...values: unknown[]): boolean {
  if (hidden === 'hard') return values.some((v) => v !== undefined);
  if (hidden === 'soft' && values.some((v) => v !== undefined && v !== null && typeof v !== 'boolean')) return true;
  return values.some(isSecretText);
}

/** A copy of a value with every hidden leaf replaced by HIDDEN_VALUE (for values shown whole). */
export function redact(value: unknown, hidden: Hidden = false): unknown {
  if (Array.isArray(value)) return value.map((v) => redact(v, hidden));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, childHidden([value], k, hidden))]));
  return value !== undefined && leafHidden(hidden, value) ? HIDDEN_VALUE : value;
}

/** Every string a value holds that diff would hide (to scrub them from messages of tools that saw the value). */
export function hiddenLiterals(value: unknown, hidden: Hidden = false, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) for (const v of value) hiddenLiterals(v, hidden, out);
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) hiddenLiterals(v, childHidden([value], k, hidden), out);
  else if (typeof value === 'string' && value.length >= 4 && leafHidden(hidden, value)) out.add(value);
  return out;
}

/** A message with every hidden literal of `values` replaced, and withheld whole when it still looks secret. */
export function scrubMessage(message: string, values: readonly unknown[]): string {
  let out = message;
  for (const v of values) for (const lit of [...hiddenLiterals(v)].sort((a, b) => b.length - a.length)) out = out.split(lit).join(HIDDEN_VALUE);
  return isSecretText(out) ? `${out.split(':')[0]}: (message withheld: it may hold a secret value)` : out;
}
