/**
 * The cdk8s app entry (`npx cdk8s synth` runs it through cdk8s.yaml): one cdk8s App per cluster,
 * written to $CDK8S_OUTDIR/<cluster>/. `npm run synth` (eksai's own route) does the same without the
 * cdk8s-cli wrapper, which deletes dist/ before running the app.
 */
import { main } from './cli';

main(['synth', '--cwd', __dirname, '--outdir', process.env.CDK8S_OUTDIR ?? 'dist'])
  .then((code) => {
    process.exitCode = code;
  })
  .catch((err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 2;
  });
