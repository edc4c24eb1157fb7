/** ajv's errors as validate's problems: dotted paths, unknown and missing fields named, anyOf/oneOf branches folded. */
import type { ErrorObject } from 'ajv';
import { childPath } from '../check/cel';
import type { ValidationProblem } from './types';

/** `/spec/template/0` → `spec.template[0]` */
export function dottedPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : childPath(acc, seg)), '');
}

export const join2 = (a: string, b: string): string => (b.startsWith('[') ? `${a}${b}` : a ? `${a}.${b}` : b);

/** Message for a failed anyOf/oneOf from the errors of its branches (e.g. int-or-string → "must be integer or string"). */
function junctorMessage(e: ErrorObject, branch: readonly ErrorObject[]): string {
  const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
  if (e.keyword === 'oneOf' && passing) return 'matches more than one of its mutually exclusive forms: set only one of them';
  if (branch.length > 0 && branch.every((b) => b.keyword === 'type' && b.instancePath === e.instancePath)) {
    return `must be ${[...new Set(branch.map((b) => String((b.params as { type: string }).type)))].join(' or ')}`;
  }
  if (branch.length > 0 && branch.every((b) => b.keyword === 'required' && b.instancePath === e.instancePath)) {
    const fields = branch.map((b) => String((b.params as { missingProperty: string }).missingProperty));
    return `must set ${e.keyword === 'oneOf' ? 'exactly' : 'at least'} one of ${fields.join(', ')}`;
  }
  return e.keyword === 'oneOf' ? 'must match exactly one of its allowed forms' : 'must match at least one of its allowed forms';
}

/** ajv errors → problems: unknown and missing fields name the field; branch errors of anyOf/oneOf fold into one. */
export function ajvProblems(errors: readonly ErrorObject[] | null | undefined, prefix = ''): ValidationProblem[] {
  const seen = new Set<string>();
  const out: ValidationProblem[] = [];
  const all = errors ?? [];
  const junctors = all.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const inBranch = (e: ErrorObject, j: ErrorObject): boolean => e !== j && e.schemaPath.startsWith(`${j.schemaPath}/`);
  for (const e of all) {
    if (junctors.some((j) => inBranch(e, j))) continue;
    let path = dottedPath(e.instancePath);
    let message = e.message ?? e.keyword;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      message = junctorMessage(
        e,
        all.filter((b) => inBranch(b, e)),
      );
    } else if (e.keyword === 'additionalProperties') {
      path = childPath(path, String((e.params as { additionalProperty: string }).additionalProperty));
      message = 'unknown field';
    } else if (e.keyword === 'required') {
      path = childPath(path, String((e.params as { missingProperty: string }).missingProperty));
      message = 'required field is missing';
    } else if (e.keyword === 'format') {
      const format = String((e.params as { format: string }).format).replace(/^k8s-/, '');
      message = `must be a valid ${format}${format === 'byte' ? ' (base64)' : format === 'date-time' ? ' (RFC 3339)' : ''}`;
    } else if (e.keyword === 'enum') {
      message = `must be one of ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    }
    const full = prefix ? join2(prefix, path) : path;
    const id = `${full}\0${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path: full, message });
  }
  return out;
}
