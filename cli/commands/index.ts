import type { CommandSpec } from '../types';

/** A command, loaded only when it runs (or for `eksai --help`): the AWS SDK, ajv and CEL stay out of `synth`. */
export interface CommandEntry {
  readonly name: string;
  readonly load: () => CommandSpec;
}

/** Every `eksai` command, in help order. A new command = one file here + one line. */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'synth', load: () => (require('./synth') as typeof import('./synth')).synthCommand },
  { name: 'validate', load: () => (require('./validate') as typeof import('./validate')).validateCommand },
  { name: 'render', load: () => (require('./render') as typeof import('./render')).renderCommand },
  { name: 'check', load: () => (require('./check') as typeof import('./check')).checkCommand },
  { name: 'diff', load: () => (require('./diff') as typeof import('./diff')).diffCommand },
  { name: 'new-cluster', load: () => (require('./new-cluster') as typeof import('./new-cluster')).newClusterCommand },
  { name: 'lookup', load: () => (require('./lookup') as typeof import('./lookup')).lookupCommand },
];
