import { defineCluster } from '../lib/config/schema';

/**
 * prod: us-east-1. Automated sync with selfHeal but without prune (environment default): deleting a
 * manifest never deletes a prod resource until someone prunes it in Argo CD. On-demand capacity for
 * Ray heads and notebooks (`general-od`), spot for workers, larger GPU limits, drift one node at a time.
 */
export default defineCluster({
  name: 'prod',
  environment: 'prod',
  region: 'us-east-1',
  gitops: { repoURL: 'https://github.com/acme/ai-platform.git', targetRevision: 'main' },
  tags: { team: 'platform', 'cost-center': 'ml-prod' },
  teams: [
    { name: 'research', queue: { weight: 2, capability: { cpu: 1024, memory: '4096Gi', gpu: 32 } }, ray: { head: { pool: 'general-od' } } },
    {
      name: 'ml-eng',
      queue: { weight: 1, capability: { cpu: 512, memory: '2048Gi', gpu: 16 }, reclaimable: false },
      quota: { pods: 300 },
      // Checkpoints and datasets: the team's EFS directory at /mnt/shared in its Ray pods and notebooks.
      sharedStorage: { size: '500Gi' },
      ray: {
        head: { cpu: 4, memory: '16Gi', pool: 'general-od' },
        workerGroups: [
          { name: 'cpu', cpu: 8, memory: '32Gi', maxReplicas: 20 },
          { name: 'a10g', cpu: 6, memory: '24Gi', gpus: 1, maxReplicas: 8, pool: 'gpu' },
        ],
      },
    },
  ],
  // Shared EFS (terraform/bootstrap/efs.tf): every team gets a ReadWriteMany volume at /mnt/shared.
  storage: { efs: true },
  jupyterhub: {
    // Cognito user pool app client; id and secret live in Secret jupyterhub/jupyterhub-cognito.
    auth: {
      kind: 'cognito',
      domain: 'acme-ml.auth.us-east-1.amazoncognito.com',
      clientId: { secretName: 'jupyterhub-cognito', key: 'client-id' },
      clientSecret: { secretName: 'jupyterhub-cognito', key: 'client-secret' },
      allowedGroups: ['research', 'ml-eng'],
      adminUsers: ['platform-oncall@acme.com'],
    },
    ingress: { host: 'notebooks.acme.com', certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901' },
  },
  karpenter: {
    // AMI release: a real amazon-eks-ami release with Kubernetes 1.35 AL2023 AMIs for x86_64/arm64, standard and
    // nvidia (awslabs/amazon-eks-ami CHANGELOG.md "AMI Release v20260714"); `eksai lookup` verifies it through SSM.
    nodeClasses: [
      { name: 'default', amiAlias: 'al2023@v20260714', rootVolumeGiB: 200 },
      { name: 'gpu', amiAlias: 'al2023@v20260714', rootVolumeGiB: 500 },
    ],
    nodePools: [
      { name: 'general', kind: 'cpu', limits: { cpu: 2000, memory: '8000Gi' } },
      { name: 'general-od', kind: 'cpu', capacityTypes: ['on-demand'], weight: 40, limits: { cpu: 400, memory: '1600Gi' } },
      { name: 'memory', kind: 'memory', limits: { cpu: 512, memory: '8192Gi' } },
      {
        name: 'gpu',
        kind: 'gpu',
        nodeClass: 'gpu',
        instanceFamilies: ['g5', 'g6', 'g6e'],
        limits: { cpu: 1536, memory: '12288Gi', gpu: 64 },
        // Training nodes only leave when empty, and never during the working day.
        budgets: [{ nodes: '0', schedule: '0 8 * * mon-fri', duration: '10h' }, { nodes: '1' }],
      },
    ],
  },
});
