/**
 * The one Kubernetes quantity parser of eksai: the schema checks every typed quantity with it (pool
 * limits, queue capability, team quotas, container defaults, Ray heads and groups) and the rules do
 * their arithmetic with it. Grammar: k8s.io/apimachinery/pkg/api/resource (quantity.go), without a sign:
 * a negative amount is never meaningful in a cluster file.
 */

/** What a quantity measures: `cpu` (cores, `500m`), `memory` (bytes, needs a unit), `storage` (bytes, needs a unit). */
export type QuantityKind = 'cpu' | 'memory' | 'storage';

/** Multiplier of each Kubernetes quantity suffix (resource.Quantity: decimal SI and binary); CEL's quantity() uses it too. */
export const QUANTITY_SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
  Pi: 1024 ** 5,
  Ei: 1024 ** 6,
};

const QUANTITY = /^(-?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

export type ParsedQuantity = { readonly value: number } | { readonly error: string };

const EXAMPLE: Readonly<Record<QuantityKind, string>> = {
  cpu: "a CPU quantity such as 4, '500m' or '1.5'",
  memory: "a memory quantity such as '512Mi' or '256Gi'",
  storage: "a size such as '100Gi' or '1Ti'",
};

/** Parses a quantity of a kind; an error message (lowercase, no value) when it is not one. */
export function parseQuantity(q: unknown, kind: QuantityKind): ParsedQuantity {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) return { error: `must be ${EXAMPLE[kind]}` };
    if (q < 0) return { error: 'must not be negative' };
    // A bare number of bytes is always a slip: 256 bytes of memory is no one's intent.
    if (kind !== 'cpu') return { error: `must be a string with a unit: did you mean '${q}Gi'?` };
    return { value: q };
  }
  if (typeof q !== 'string') return { error: `must be ${EXAMPLE[kind]}` };
  const m = QUANTITY.exec(q);
  if (!m) return { error: `must be ${EXAMPLE[kind]}` };
  if (m[1] === '-') return { error: 'must not be negative' };
  const suffix = m[3] ?? '';
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_SUFFIXES[suffix]!;
  const value = Number(m[2]) * scale;
  if (!Number.isFinite(value)) return { error: `is too large: must be ${EXAMPLE[kind]}` };
  if (kind !== 'cpu' && suffix === '') return { error: `must have a unit: did you mean '${q}Gi'?` };
  if (kind !== 'cpu' && suffix === 'm') return { error: `uses m (milli): did you mean '${m[2]}Mi'?` };
  return { value };
}

/** The amount of a quantity that already passed the schema (cores, or bytes when it has a unit); NaN when it is not one. */
export function quantityValue(q: string | number): number {
  const p = parseQuantity(q, 'cpu');
  return 'value' in p ? p.value : NaN;
}
