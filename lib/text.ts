/**
 * An untyped value (a field of a parsed manifest, a flag default, an SSM value) as text for a message or a name:
 * strings as they are, numbers and booleans as written, null/undefined as `fallback`, anything else as JSON — never
 * `[object Object]`.
 */
export function scalarText(v: unknown, fallback = ''): string {
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  if (typeof v === 'symbol') return v.toString();
  return JSON.stringify(v) ?? typeof v;
}
