import { RAY_PYTHON_VERSION, RAY_VERSION } from '../ray';

/**
 * The config default of `jupyterhub.image` / `gpuImage`: the eksai notebook image (images/notebook/Dockerfile,
 * FROM charts/versions.ts NOTEBOOK_BASE_IMAGES plus a Python RAY_PYTHON_VERSION kernel with
 * `ray[client]==RAY_VERSION`), which .github/workflows/notebook-image.yml pushes to the GitOps repository's GHCR.
 * test/charts/notebook-image.test.ts keeps the workflow's tags and these identical.
 */
export const NOTEBOOK_IMAGE_NAME = 'eksai-notebook';

const PY_TAG = `py${RAY_PYTHON_VERSION.replace('.', '')}`;
export const NOTEBOOK_IMAGE_TAGS = { cpu: `${RAY_VERSION}-${PY_TAG}`, gpu: `${RAY_VERSION}-${PY_TAG}-gpu` } as const;

/**
 * Default notebook images of a cluster: the images the notebook-image workflow pushes to the GHCR of the
 * cluster's GitOps repository (`ghcr.io/<owner>/eksai-notebook`, owner lower-cased as GHCR requires).
 * Undefined when the repository is not on github.com: then `jupyterhub.image` / `gpuImage` are required.
 */
export function defaultNotebookImages(gitRepoURL: string): { readonly cpu: string; readonly gpu: string } | undefined {
  const m = /^(?:https:\/\/|git@|ssh:\/\/git@)github\.com[/:]([^/]+)\//.exec(gitRepoURL);
  if (!m) return undefined;
  const repo = `ghcr.io/${m[1]!.toLowerCase()}/${NOTEBOOK_IMAGE_NAME}`;
  return { cpu: `${repo}:${NOTEBOOK_IMAGE_TAGS.cpu}`, gpu: `${repo}:${NOTEBOOK_IMAGE_TAGS.gpu}` };
}
