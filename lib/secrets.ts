/**
 * Which keys and strings hold secrets, for every place eksai shows a value: the diff (pipeline/diff/secrets.ts
 * applies the full rule set described there) and error messages (lib/errors.ts never echoes such a value).
 */

/** Words that make a key secret-bearing on their own. */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'pass',
  'pwd',
  'secret',
  'secrets',
  'token',
  'tokens',
  'credential',
  'credentials',
  'bearer',
  'htpasswd',
  'dockerconfigjson',
  'dockercfg',
  'kubeconfig',
  'dsn',
  'salt',
  'apikey',
  'privatekey',
]);

/** Substrings that make a one-word key secret-bearing (`clientsecret`, `authtoken`). */
const SECRET_PARTS = /password|passwd|passphrase|secret|token|credential/;

/** `key`/`keys` after one of these words (or glued to it: `apikey`) is key material. */
const KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'access',
  'secret',
  'signing',
  'encryption',
  'ssh',
  'tls',
  'ca',
  'client',
  'master',
  'auth',
  'license',
  'session',
  'hmac',
  'jwt',
  'rsa',
  'gpg',
  'pgp',
  'sshkey',
]);

/** Last words that describe or reference a secret instead of holding it (`secretName`, `tokenTTL`, `passwordFile`). */
export const DESCRIPTOR_WORDS = new Set([
  'ref',
  'refs',
  'name',
  'names',
  'namespace',
  'selector',
  'path',
  'paths',
  'file',
  'files',
  'dir',
  'mount',
  'mounts',
  'enabled',
  'disabled',
  'ttl',
  'timeout',
  'expiry',
  'expiration',
  'lifetime',
  'length',
  'size',
  'type',
  'mode',
  'format',
  'algorithm',
  'url',
  'uri',
  'endpoint',
  'header',
  'claim',
  'provider',
  'store',
  'class',
  'annotations',
  'labels',
  'version',
  'interval',
  'period',
  'duration',
  'rotation',
  'template',
  'policy',
  'from',
  'source',
  'sources',
  'key',
  'keys',
  'field',
]);

/** The words of a key: camelCase, snake_case, kebab-case, dotted (`AWS_SECRET_ACCESS_KEY` → aws secret access key). */
export function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

function isKeyMaterial(w: readonly string[]): boolean {
  return w.some(
    (x, i) => ((x === 'key' || x === 'keys') && i > 0 && KEY_QUALIFIERS.has(w[i - 1]!)) || (x.endsWith('key') && KEY_QUALIFIERS.has(x.slice(0, -3))),
  );
}

/** Whether a map key names a value that holds a secret (rule 2). A bare `key` is a selector, not a secret. */
export function isSecretKey(key: string): boolean {
  const w = words(key);
  if (w.length === 0) return false;
  if (w[0] === 'existing' || (w.length > 1 && DESCRIPTOR_WORDS.has(w[w.length - 1]!) && !isKeyMaterial(w.slice(-2)))) return false;
  if (w.length === 1 && DESCRIPTOR_WORDS.has(w[0]!)) return false;
  return w.some((x) => SECRET_WORDS.has(x) || SECRET_PARTS.test(x)) || isKeyMaterial(w) || /\.(key|pem|p12|pfx|jks|keystore)$/i.test(key);
}

const SECRET_TEXT: readonly RegExp[] = [
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----/,
  /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:[^\s/@]+@/i,
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
  /\b(AKIA|ASIA)[0-9A-Z]{16}\b/,
  /\bgh[pousr]_[A-Za-z0-9]{30,}/,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
  /"kind"\s*:\s*"Secret"|^\s*kind:\s*["']?Secret["']?\s*$/m,
];

/** `password: x`, `"apiToken": "x"`, `--client-secret=x`, `?token=x` inside a string (rule 4); the value is a lookahead so `a: password=x` finds both. */
const ASSIGNMENT = /(?:^|[\s,{;&?(])-*["']?([A-Za-z0-9_.-]+)["']?\s*[:=](?=\s*["']?([^\s"',;&}]+))/g;

/** Whether a string holds a secret whatever key it is under (rule 4). */
export function isSecretText(value: unknown): boolean {
  if (typeof value !== 'string' || value.length < 4) return false;
  if (SECRET_TEXT.some((re) => re.test(value))) return true;
  for (const m of value.matchAll(ASSIGNMENT)) if (isSecretKey(m[1]!) && !/^(true|false|null|~)$/.test(m[2]!)) return true;
  return false;
}
