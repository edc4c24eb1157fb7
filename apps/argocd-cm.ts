import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { KEEP_DATA } from '../charts/component';

/**
 * Argo CD removed the health check of `argoproj.io/Application` in 1.8, so sync waves across child
 * Applications of an app-of-apps do not wait for anything. This Lua restores it: a child counts as
 * healthy only when Argo CD says so, and the next wave starts after that.
 */
export const APPLICATION_HEALTH_LUA = `hs = {}
hs.status = "Progressing"
hs.message = ""
if obj.status ~= nil then
  if obj.status.health ~= nil then
    hs.status = obj.status.health.status
    if obj.status.health.message ~= nil then
      hs.message = obj.status.health.message
    end
  end
end
return hs
`;

export const ARGOCD_NAMESPACE = 'argocd';

/**
 * A partial `argocd-cm`: only the health customization key. Applied server-side (so the keys the
 * Argo CD install owns stay untouched), first in the root app's sync, and never pruned. The bootstrap
 * Terraform also sets the same key in the Argo CD Helm values, so it holds from the first sync.
 */
export function argocdHealthConfig(scope: Construct): ApiObject {
  return new ApiObject(scope, 'argocd-cm', {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'argocd-cm',
      namespace: ARGOCD_NAMESPACE,
      labels: { 'app.kubernetes.io/name': 'argocd-cm', 'app.kubernetes.io/part-of': 'argocd' },
      annotations: {
        'argocd.argoproj.io/sync-wave': '-100',
        // Argo CD's own config, only patched here: deleting the root Application must not delete it.
        'argocd.argoproj.io/sync-options': `ServerSideApply=true,${KEEP_DATA}`,
        'eksai.io/purpose': 'restores the argoproj.io/Application health check so child-app sync waves order (argo-cd #16870)',
      },
    },
    data: { 'resource.customizations.health.argoproj.io_Application': APPLICATION_HEALTH_LUA },
  });
}
