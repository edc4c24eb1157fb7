import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { IMAGES, NOTEBOOK_BASE_IMAGES } from '../../charts/versions';
import { defaultNotebookImages, NOTEBOOK_IMAGE_TAGS } from '../../lib/config/notebook-images';
import { RAY_PYTHON_VERSION, RAY_VERSION } from '../../lib/ray';
import { loadErrors, loadOk, minimalInput, REPO } from '../helpers';

/**
 * Ray Client only connects when notebook and cluster run the same Ray and Python minor: the notebook
 * image (images/notebook/Dockerfile), the workflow that builds it, the default image names and the Ray
 * images of the RayClusters must all say the same versions. (Docker is not available here: the image
 * itself is built by .github/workflows/notebook-image.yml.)
 */
const DOCKERFILE = readFileSync(join(REPO, 'images', 'notebook', 'Dockerfile'), 'utf8');
const WORKFLOW = parse(readFileSync(join(REPO, '.github', 'workflows', 'notebook-image.yml'), 'utf8')) as {
  jobs: { build: { strategy: { matrix: { include: { variant: string; base: string; suffix: string }[] } }; steps: { id?: string; run?: string }[] } };
};
const arg = (name: string) => new RegExp(`^ARG ${name}=(.+)$`, 'm').exec(DOCKERFILE)?.[1];

describe('notebook image pins', () => {
  test("fails when the Dockerfile's Ray, Python or base image differ from the pins (charts/versions.ts, lib/ray.ts)", () => {
    expect({ ray: arg('RAY_VERSION'), python: arg('PYTHON_VERSION'), base: arg('BASE_IMAGE') }).toEqual({
      ray: RAY_VERSION,
      python: RAY_PYTHON_VERSION,
      base: NOTEBOOK_BASE_IMAGES.cpu,
    });
  });

  test("fails when the RayClusters' images run another Ray or Python than the notebook kernel", () => {
    const py = `py${RAY_PYTHON_VERSION.replace('.', '')}`;
    expect(IMAGES.ray).toMatch(new RegExp(`:${RAY_VERSION.replace(/\./g, '\\.')}-${py}-cpu$`));
    expect(IMAGES.rayGpu).toMatch(new RegExp(`:${RAY_VERSION.replace(/\./g, '\\.')}-${py}-gpu$`));
  });

  test('fails when the workflow pushes other bases or tags than the clusters pull', () => {
    const matrix = WORKFLOW.jobs.build.strategy.matrix.include;
    expect(Object.fromEntries(matrix.map((m) => [m.variant, m.base]))).toEqual({ ...NOTEBOOK_BASE_IMAGES });
    // Run the workflow's own tag step (bash + sed on the real Dockerfile) for an owner with capitals.
    const script = WORKFLOW.jobs.build.steps.find((s) => s.id === 'tag')!.run!;
    const dir = mkdtempSync(join(tmpdir(), 'eksai-notebook-tag-'));
    try {
      const pushed = Object.fromEntries(
        matrix.map((m) => {
          const out = join(dir, `${m.variant}.out`);
          const bash = script.replaceAll('${{ github.repository_owner }}', 'Acme').replaceAll('${{ matrix.suffix }}', m.suffix);
          execFileSync('bash', ['-euo', 'pipefail', '-c', bash], { cwd: REPO, env: { ...process.env, GITHUB_OUTPUT: out } });
          return [
            m.variant,
            readFileSync(out, 'utf8')
              .trim()
              .replace(/^image=/, ''),
          ];
        }),
      );
      expect(pushed).toEqual(defaultNotebookImages('https://github.com/Acme/ai-platform.git'));
      expect(pushed.cpu).toBe(`ghcr.io/acme/eksai-notebook:${NOTEBOOK_IMAGE_TAGS.cpu}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("notebook profiles default to the image in the GitOps repo's GHCR", () => {
    const cluster = loadOk(minimalInput({ teams: [{ name: 'research' }], gitops: { repoURL: 'git@github.com:Acme/platform.git' } }));
    expect(cluster.jupyterhub.images).toEqual({
      cpu: `ghcr.io/acme/eksai-notebook:${RAY_VERSION}-py311`,
      gpu: `ghcr.io/acme/eksai-notebook:${RAY_VERSION}-py311-gpu`,
    });
  });

  test('fails when the GitOps repo is not on GitHub and no notebook image is set', () => {
    const input = minimalInput({ teams: [{ name: 'research' }], gitops: { repoURL: 'https://gitlab.com/acme/platform.git' } });
    expect(loadErrors(input)).toEqual([
      'clusters/minimal.ts: jupyterhub.image is required: gitops.repoURL is not on github.com, so there is no default ghcr.io/<owner>/eksai-notebook image (got "https://gitlab.com/acme/platform.git"): build images/notebook (README "Notebook image") into your registry and set jupyterhub.image',
      'clusters/minimal.ts: jupyterhub.gpuImage is required: gitops.repoURL is not on github.com, so there is no default ghcr.io/<owner>/eksai-notebook image (got "https://gitlab.com/acme/platform.git"): build images/notebook (README "Notebook image") into your registry and set jupyterhub.gpuImage',
    ]);
    expect(loadOk({ ...input, jupyterhub: { image: 'registry.example.com/nb:1', gpuImage: 'registry.example.com/nb:1-gpu' } }).jupyterhub.images.cpu).toBe(
      'registry.example.com/nb:1',
    );
  });
});
