import type { Component } from './component';
import { cilium } from './cilium';
import { karpenter } from './karpenter';
import { nodePools } from './node-pools';
import { kuberayOperator } from './kuberay-operator';
import { volcano } from './volcano';
import { awsLoadBalancerController } from './aws-load-balancer-controller';
import { dcgmExporter, nvidiaDevicePlugin } from './nvidia';
import { storage } from './storage';
import { kubePrometheusStack } from './kube-prometheus-stack';
import { monitoring } from './monitoring';
import { jupyterhub } from './jupyterhub';
import { teams } from './teams';
import { rayClusters } from './ray-clusters';
import { smoke } from './smoke';
import { opencost } from './opencost';

/**
 * Every platform component, in dist order. Adding a component = one file in charts/ + one line here;
 * apps/ turns the enabled ones into child Applications.
 */
export const COMPONENTS: readonly Component[] = [
  cilium,
  karpenter,
  nodePools,
  storage,
  awsLoadBalancerController,
  nvidiaDevicePlugin,
  dcgmExporter,
  volcano,
  kuberayOperator,
  kubePrometheusStack,
  monitoring,
  opencost,
  teams,
  rayClusters,
  jupyterhub,
  smoke,
];
