import { defineCluster } from '../lib/config/schema';

/**
 * dev: us-west-2, cheap and elastic. Spot-first CPU, one small GPU pool that scales to zero,
 * automated sync with prune + selfHeal (environment default).
 */
export default defineCluster({
  name: 'dev',
  environment: 'dev',
  region: 'us-west-2',
  gitops: { repoURL: 'https://github.com/acme/ai-platform.git' },
  tags: { team: 'platform', 'cost-center': 'ml-dev' },
  teams: [
    {
      name: 'research',
      queue: { weight: 1, capability: { cpu: 64, memory: '256Gi', gpu: 4 } },
      // Ray pods, RayJobs and notebooks of the team run as ServiceAccount team-research (EKS Pod Identity).
      s3: {
        buckets: [
          // Created by the bootstrap: SSE-KMS, versioned, public access blocked; objects expire after a year.
          { bucket: 'acme-ai-dev-research', access: 'read-write', lifecycle: { infrequentAccessDays: 30, expirationDays: 365 } },
          // An existing bucket, read-only and only under two prefixes.
          { bucket: 'arn:aws:s3:::acme-ml-datasets', access: 'read-only', prefixes: ['imagenet/', 'openwebtext/'] },
        ],
      },
    },
  ],
  // Notebooks for every team; dev needs no identity provider (dummy auth is refused elsewhere).
  jupyterhub: { auth: { kind: 'dummy', adminUsers: ['admin'] } },
  karpenter: {
    // AMI release: a real amazon-eks-ami release with Kubernetes 1.35 AL2023 AMIs for x86_64/arm64, standard and
    // nvidia (awslabs/amazon-eks-ami CHANGELOG.md "AMI Release v20260714"); `eksai lookup` verifies it through SSM.
    nodeClasses: [{ name: 'default', amiAlias: 'al2023@v20260714' }],
    nodePools: [
      { name: 'general', kind: 'cpu', limits: { cpu: 200, memory: '800Gi' } },
      { name: 'gpu', kind: 'gpu', instanceFamilies: ['g5', 'g6'], limits: { cpu: 64, memory: '512Gi', gpu: 4 } },
    ],
  },
});
