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
  teams: [{ name: 'research', queue: { weight: 1, capability: { cpu: 64, memory: '256Gi', gpu: 4 } } }],
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
