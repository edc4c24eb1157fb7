import Ajv from 'ajv';
import { CelValidator } from '../check/cel';
import { FORMATS } from '../check/formats';
import { toJsonSchema, type SchemaNode } from '../check/schemas';
import { isRecord, type Resource } from './identity';
import type { ResourceChange, Risk } from './types';

/**
 * Upgrade safety of a changed CRD (a chart bump renders a new one, or dist carries it): every custom
 * resource of that kind in the head dist is checked against the new CRD the way the API server will check
 * it on the next apply: its structural schema (pipeline/check's toJsonSchema, ajv) and its CEL rules
 * (pipeline/check's CelValidator). A failure is a high risk naming the object and the field; a schema that
 * cannot be compiled is a medium risk saying it was not checked. Transition rules of the new CRD are
 * evaluated with the other updates (transitions.ts).
 */

type Resources = ReadonlyMap<string, Resource>;

function lookup(resources: Resources, c: ResourceChange): Resource | undefined {
  for (const r of resources.values()) if (r.cluster === c.cluster && r.component === c.component && r.kind === c.resourceKind && r.name === c.name) return r;
  return undefined;
}

/** A CRD version's schema as the API server applies it to a manifest: metadata as an object, status not checked. */
function manifestSchema(schema: SchemaNode): object {
  const props = isRecord(schema.properties) ? schema.properties : {};
  const lean = { ...schema, properties: { ...props, ...(props.status ? { status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } : {}) } };
  const out = toJsonSchema(lean, false, 'crd') as { properties?: Record<string, unknown> };
  if (out.properties) out.properties.metadata = { type: 'object' };
  return out;
}

export function crdUpgradeRisks(changes: readonly ResourceChange[], head: Resources): Risk[] {
  const risks: Risk[] = [];
  let ajv: Ajv | undefined;
  const cel = new CelValidator();
  for (const c of changes) {
    if (c.kind !== 'changed' || c.resourceKind !== 'CustomResourceDefinition') continue;
    const crd = lookup(head, c)?.body;
    const spec = isRecord(crd?.spec) ? crd.spec : undefined;
    const kind = isRecord(spec?.names) ? spec.names.kind : undefined;
    if (!spec || typeof spec.group !== 'string' || typeof kind !== 'string' || !Array.isArray(spec.versions)) continue;
    for (const v of spec.versions.filter(isRecord)) {
      const schema = isRecord(v.schema) && isRecord(v.schema.openAPIV3Schema) ? (v.schema.openAPIV3Schema as SchemaNode) : undefined;
      if (v.served === false || !schema) continue;
      const apiVersion = `${spec.group}/${String(v.name)}`;
      const objects = [...head.values()].filter((r) => r.cluster === c.cluster && r.apiVersion === apiVersion && r.kind === kind);
      if (objects.length === 0) continue;
      let validate: ReturnType<Ajv['compile']>;
      try {
        ajv ??= new Ajv({ strict: false, allErrors: true, validateSchema: false, logger: false, formats: FORMATS });
        validate = ajv.compile(manifestSchema(schema));
      } catch (err) {
        risks.push({
          level: 'medium',
          cluster: c.cluster,
          component: c.component,
          resource: `${c.resourceKind}/${c.name}`,
          message: `${kind} objects not checked against the new CRD ${c.name} (${apiVersion}): ${(err as Error).message.split('\n')[0]}`,
        });
        continue;
      }
      for (const o of objects) {
        const add = (at: string, message: string) =>
          risks.push({
            level: 'high',
            cluster: o.cluster,
            component: o.component,
            resource: `${o.kind}/${o.name}`,
            message: `the new CRD ${c.name} (${apiVersion}) rejects this object: ${message} at ${at || '(root)'}`,
          });
        for (const e of validate(o.body) ? [] : (validate.errors ?? [])) {
          const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
          if (e.keyword !== 'additionalProperties') add(at, e.message ?? 'invalid');
          else {
            // An unknown field of a custom resource is pruned (rejected only under strict field validation).
            const field = `${at ? `${at}.` : ''}${String((e.params as { additionalProperty?: string }).additionalProperty)}`;
            risks.push({
              level: 'medium',
              cluster: o.cluster,
              component: o.component,
              resource: `${o.kind}/${o.name}`,
              message: `the new CRD ${c.name} (${apiVersion}) has no field ${field}: the API server prunes it (strict field validation rejects it)`,
            });
          }
        }
        for (const f of cel.validate(schema, o.body)) add(f.path, f.outcome === 'failed' ? f.message : `rule not evaluated (${f.message}): ${f.rule}`);
      }
    }
  }
  return risks;
}
