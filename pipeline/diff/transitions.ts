import type { SchemaSourceOptions } from '../../lib/schemas/resolve';
import { TransitionValidator, transitionSchemas } from '../check/transition';
import type { ParseProblem, Resource } from './identity';
import type { Risk } from './risks';

/** A resource present in both revisions with a different body: an update the API server will validate. */
export interface Update {
  readonly before: Resource;
  readonly after: Resource;
}

/**
 * Risks of updates the API server will reject: every CRD transition rule (`oldSelf`: immutable fields,
 * one-way switches) evaluated on base → head. A rule that cannot be evaluated is listed as a risk, never
 * passed; when the pinned CRDs cannot be read at all, that is a problem line, and nothing is claimed.
 */
export async function transitionRisks(updates: readonly Update[], source: SchemaSourceOptions = {}): Promise<{ risks: Risk[]; problems: ParseProblem[] }> {
  if (updates.length === 0) return { risks: [], problems: [] };
  let schemas: Map<string, Record<string, unknown>>;
  try {
    schemas = await transitionSchemas(
      updates.map((u) => u.after),
      source,
    );
  } catch (err) {
    return { risks: [], problems: [{ file: '(schemas)', message: `CRD transition rules (oldSelf) not checked: ${(err as Error).message}` }] };
  }
  if (schemas.size === 0) return { risks: [], problems: [] };
  const validator = new TransitionValidator();
  const risks: Risk[] = [];
  for (const { before, after } of updates) {
    const schema = schemas.get(`${after.apiVersion}|${after.kind}`);
    if (!schema) continue;
    const base = { cluster: after.cluster, component: after.component, resource: `${after.kind}/${after.name}` };
    for (const f of validator.validate(schema, before.body, after.body)) {
      const at = f.path === '' ? '(root)' : f.path;
      risks.push(
        f.outcome === 'failed'
          ? { ...base, level: 'high', message: `the API server will reject this update: ${f.message} at ${at}` }
          : { ...base, level: 'medium', message: `transition rule not evaluated (${f.message}): ${f.rule} at ${at}; check it by hand` },
      );
    }
  }
  return { risks, problems: [] };
}
