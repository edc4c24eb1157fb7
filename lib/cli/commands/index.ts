import type { CommandSpec } from '../types';
import { checkCommand } from './check';
import { diffCommand } from './diff';
import { lookupCommand } from './lookup';
import { synthCommand } from './synth';
import { validateCommand } from './validate';

/** Every `eksai` command, in help order. A new command = one file here + one line. */
export const COMMANDS: readonly CommandSpec[] = [synthCommand, validateCommand, checkCommand, diffCommand, lookupCommand];
