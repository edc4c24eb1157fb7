/**
 * The same fleet through cdk8s's own route: `npx cdk8s synth` runs this with ts-node (type-checking,
 * the cdk8s-cli template default); every cluster is one cdk8s App that writes itself with app.synth()
 * (cdk8s's resolve pass and its `yaml` serializer, folder per chart, file per resource).
 */
import { join } from 'node:path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { buildArgoApps } from '../../apps';
import { COMPONENTS } from '../../charts';
import { readRegistry } from '../../lib/config/load';
import { loadClusters } from '../../charts/checks';

const cwd = __dirname;
const outdir = process.env.CDK8S_OUTDIR ?? join(cwd, 'dist');
const { configs } = loadClusters(readRegistry(cwd), cwd);
for (const cluster of configs) {
  const app = new App({ outdir: join(outdir, cluster.name), yamlOutputType: YamlOutputType.FOLDER_PER_CHART_FILE_PER_RESOURCE });
  const enabled = COMPONENTS.filter((c) => c.enabled(cluster));
  for (const c of enabled) if (c.build) c.build(new Chart(app, c.name, { disableResourceNameHashes: true }), cluster);
  buildArgoApps(app, cluster, enabled);
  app.synth();
}
