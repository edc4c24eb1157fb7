/**
 * Fault injection for the crash tests (test/pipeline/synth/crash.test.ts): with `EKSAI_TEST_CRASH_AT=<step>`
 * (or `<step>:<n>` for its n-th occurrence) the process kills itself with SIGKILL at that named step of
 * writeDist, as an OOM kill or a closed CI runner would, so the tests can assert dist is complete after a kill
 * at every step and after the recovering rerun. Unset, it costs one property read per step.
 */
export const CRASH_STEPS = ['locked', 'staging', 'staged', 'journaled', 'backed-up', 'placed', 'pruned', 'marked', 'cleaned', 'recovering'] as const;
export type CrashStep = (typeof CRASH_STEPS)[number];

const seen = new Map<string, number>();

export function crashPoint(step: CrashStep): void {
  const at = process.env.EKSAI_TEST_CRASH_AT;
  if (at === undefined) return;
  const [name, nth = '1'] = at.split(':');
  if (name !== step) return;
  const count = (seen.get(step) ?? 0) + 1;
  seen.set(step, count);
  if (count === Number(nth)) process.kill(process.pid, 'SIGKILL');
}
