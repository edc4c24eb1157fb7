import { isIPv4, isIPv6 } from 'node:net';

/**
 * The `format`s the API server actually enforces, and nothing more (every other format is ignored, as it is
 * upstream; int-or-string is handled as a type in schemas.ts).
 *
 * - Custom resources: the formats apiextensions-apiserver validates, listed in the JSONSchemaProps.format API
 *   doc ("Unknown formats are ignored. The following formats are validated: bsonobjectid, uri, email,
 *   hostname, ipv4, ipv6, cidr, mac, uuid, uuid3, uuid4, uuid5, isbn…, byte, password, date, duration,
 *   datetime"). eksai checks the ones with an exact definition: datetime (also spelled date-time), date,
 *   byte, ipv4, ipv6, cidr, uuid*, bsonobjectid. uri, email, hostname, mac, isbn, duration… are left out
 *   rather than approximated (a wrong approximation would be a false "invalid").
 * - Kubernetes kinds: the Go types reject at decode time what their OpenAPI `format` describes: `byte`
 *   ([]byte ← base64, e.g. Secret.data), `date-time` (metav1.Time ← RFC 3339), `int32` (range).
 */

type Check = (value: string) => boolean;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Go's base64.StdEncoding ignores \r and \n. */
const byte: Check = (s) => BASE64.test(s.replace(/[\r\n]/g, ''));
/** go-openapi strfmt accepts RFC 3339 with or without seconds/fraction and offsets with or without a colon. */
const lenientDateTime: Check = (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$/.test(s);
/** metav1.Time: time.Parse(time.RFC3339, s). */
const rfc3339: Check = (s) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/.test(s);
const cidr: Check = (s) => {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  if (isIPv4(ip)) return Number(bits) <= 32;
  return isIPv6(ip) && Number(bits) <= 128;
};
const uuid = (version: string): Check => {
  const re = new RegExp(`^[0-9a-f]{8}-?[0-9a-f]{4}-?${version}[0-9a-f]{3}-?${version === '4' ? '[89ab]' : '[0-9a-f]'}[0-9a-f]{3}-?[0-9a-f]{12}$`, 'i');
  return (s) => re.test(s);
};

/** Formats of custom resources (apiextensions-apiserver). */
export const CRD_FORMATS: Readonly<Record<string, Check>> = {
  'date-time': lenientDateTime,
  datetime: lenientDateTime,
  date: (s) => /^\d{4}-\d{2}-\d{2}$/.test(s),
  byte,
  ipv4: isIPv4,
  ipv6: isIPv6,
  cidr,
  uuid: uuid('[0-9a-f]'),
  uuid3: uuid('3'),
  uuid4: uuid('4'),
  uuid5: uuid('5'),
  bsonobjectid: (s) => /^[0-9a-f]{24}$/i.test(s),
};

/** Formats of Kubernetes kinds that their Go types enforce when decoding. Names are prefixed so both tables share one ajv. */
export const CORE_FORMATS: Readonly<Record<string, Check>> = {
  'k8s-byte': byte,
  'k8s-date-time': rfc3339,
};

/** int32 fields of Kubernetes kinds (a larger number fails to decode). */
export const INT32 = { type: 'number' as const, validate: (n: number) => n >= -2147483648 && n <= 2147483647 };

/** Every format ajv knows, by the name toJsonSchema emits. */
export const FORMATS: Readonly<Record<string, Check | typeof INT32>> = { ...CRD_FORMATS, ...CORE_FORMATS, 'k8s-int32': INT32 };
