/**
 * The cluster registry: every cluster eksai synthesizes. Key = file name = cluster name.
 * `eksai new-cluster` adds a line here.
 */
import dev from './dev';
import prod from './prod';
import staging from './staging';

export const clusters = { dev, staging, prod };
