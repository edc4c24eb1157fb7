import { defineCluster } from '../lib/config/schema';

/**
 * staging: prod's shape at a fraction of its size, on Bottlerocket to rehearse AMI bumps before prod.
 */
export default defineCluster({
  name: 'staging',
  environment: 'staging',
  region: 'us-east-1',
  gitops: { repoURL: 'https://github.com/acme/ai-platform.git' },
  tags: { team: 'platform', 'cost-center': 'ml-staging' },
  teams: [
    { name: 'research', queue: { weight: 1, capability: { cpu: 128, memory: '512Gi', gpu: 4 } } },
    { name: 'ml-eng', queue: { weight: 1, capability: { cpu: 64, memory: '256Gi', gpu: 4 } } },
  ],
  // Cost view: OpenCost, the eksai / Cost dashboard, and an alert when a team is on course to pass 80% of its budget.
  cost: { enabled: true, budgets: { research: { monthlyUSD: 20000 } } },
  jupyterhub: {
    // GitHub OAuth app credentials live in Secret jupyterhub/jupyterhub-oauth (created outside Git).
    auth: {
      kind: 'github',
      clientId: { secretName: 'jupyterhub-oauth', key: 'client-id' },
      clientSecret: { secretName: 'jupyterhub-oauth', key: 'client-secret' },
      allowedOrganizations: ['acme'],
      adminUsers: ['acme-platform-bot'],
    },
    ingress: { host: 'notebooks.staging.acme.internal', certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' },
  },
  karpenter: {
    // AMI release: Bottlerocket v1.64.0 (bottlerocket-os/bottlerocket releases/tag/v1.64.0; aws-k8s-1.35 and
    // aws-k8s-1.35-nvidia variants exist since v1.53.0, PR #4737); `eksai lookup` verifies it through SSM.
    nodeClasses: [
      { name: 'default', amiAlias: 'bottlerocket@v1.64.0', dataVolumeGiB: 150 },
      { name: 'gpu', amiAlias: 'bottlerocket@v1.64.0', dataVolumeGiB: 300 },
    ],
    nodePools: [
      { name: 'general', kind: 'cpu', limits: { cpu: 400, memory: '1600Gi' } },
      { name: 'memory', kind: 'memory', limits: { cpu: 128, memory: '2048Gi' } },
      { name: 'gpu', kind: 'gpu', nodeClass: 'gpu', limits: { cpu: 192, memory: '1536Gi', gpu: 8 } },
    ],
  },
});
