import { App, Chart } from 'cdk8s';
import { buildArgoApps } from '../../apps';
import type { Component } from '../../charts/component';
import { COMPONENTS } from '../../charts';
import { ConfigError } from '../../lib/errors';
import type { ClusterConfig } from '../../lib/config/types';

/** A Kubernetes object as synthesized (plain JSON, keys sorted by cdk8s). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [k: string]: unknown };
  readonly [k: string]: unknown;
}

/** The objects of one cluster, by chart id (= dist folder). */
export interface ClusterManifests {
  readonly cluster: ClusterConfig;
  readonly charts: ReadonlyMap<string, readonly Manifest[]>;
  /** Chart ids of components that deploy into several namespaces (Component.namespaces): their file names carry the namespace. */
  readonly multiNamespace?: ReadonlySet<string>;
}

/** Components enabled for a cluster, in registry order. */
export function enabledComponents(cluster: ClusterConfig, components: readonly Component[] = COMPONENTS): Component[] {
  return components.filter((c) => c.enabled(cluster));
}

/**
 * Builds one cluster's construct tree (one cdk8s App, one Chart per component with manifests, plus
 * root/ and apps/) and turns it into objects. Pure: config in, objects out.
 */
export function buildCluster(cluster: ClusterConfig, components: readonly Component[] = COMPONENTS): ClusterManifests {
  const app = new App({ outdir: '/nonexistent-eksai-outdir' });
  const enabled = enabledComponents(cluster, components);
  for (const component of enabled) {
    if (!component.build) continue;
    const chart = new Chart(app, component.name, { disableResourceNameHashes: true });
    component.build(chart, cluster);
  }
  buildArgoApps(app, cluster, enabled);

  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((message) => ({ file: cluster.file, path: c.node.path, message })));
  if (errors.length > 0) throw new ConfigError(errors);

  const charts = new Map<string, Manifest[]>();
  for (const chart of app.charts) charts.set(chart.node.id, chart.toJson() as Manifest[]);
  return { cluster, charts, multiNamespace: new Set(enabled.filter((c) => c.namespaces !== undefined).map((c) => c.name)) };
}
