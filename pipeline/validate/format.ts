import type { ResultStatus, ValidationReport, ValidationResult } from './types';

/** Renders a validation report; one implementation per `--format`. */
export interface Formatter {
  format(report: ValidationReport): string;
}

export type FormatName = 'text' | 'json' | 'github';

function counts(report: ValidationReport): Record<ResultStatus, number> {
  const c: Record<ResultStatus, number> = { valid: 0, invalid: 0, error: 0, skipped: 0 };
  for (const r of report.results) c[r.status] += 1;
  return c;
}

/** `Summary: 29 resources found in 29 files - Valid: 29, Invalid: 0, Errors: 0, Skipped: 0` */
export function summaryLine(report: ValidationReport): string {
  const c = counts(report);
  return `Summary: ${report.results.length} resources found in ${report.files} files - Valid: ${c.valid}, Invalid: ${c.invalid}, Errors: ${c.error}, Skipped: ${c.skipped}`;
}

function subject(r: ValidationResult): string {
  const what = r.kind ? `${r.kind} ${r.name ?? '(unnamed)'}` : 'document';
  return r.application ? `${what} (rendered by Application ${r.application})` : what;
}

function lines(r: ValidationResult): string[] {
  const status = r.status === 'invalid' ? 'is invalid' : r.status === 'skipped' ? 'was skipped' : 'could not be validated';
  return r.problems.map((p) => {
    const verb = p.severity === 'warning' ? 'has a warning' : status;
    const what =
      p.severity === 'unevaluated'
        ? `${p.message} (rule: ${p.rule ?? '?'})`
        : p.rule?.startsWith('policy/') || p.rule?.startsWith('cross/')
          ? `${p.message} [${p.rule}]`
          : p.message;
    return `${r.file}:${r.line} - ${subject(r)} ${verb}: ${p.path ? `${p.path}: ` : ''}${what}`;
  });
}

/**
 * `Rendered 27 Helm releases (806 objects) with helm v4.1.4 (bundled: …)`, when validate rendered them, and how
 * their determinism was checked: rendered twice, or once because nothing in the chart or values can vary.
 */
export function renderedLine(report: ValidationReport): string[] {
  const r = report.rendered;
  if (!r) return [];
  const lines = [`Rendered ${r.releases} Helm releases (${r.objects} objects)${r.helm ? ` with helm ${r.helm}` : ''}`];
  if (r.renderedTwice !== undefined && r.releases > 0) {
    const once = r.releases - r.renderedTwice;
    lines.push(
      `Determinism: ${r.renderedTwice} rendered twice and compared; ${once} rendered once (their charts and values call no time, random or map-order function)`,
    );
  }
  return lines;
}

const text: Formatter = {
  format: (report) => [...report.results.flatMap(lines), ...renderedLine(report), summaryLine(report)].join('\n') + '\n',
};

const json: Formatter = {
  format: (report) =>
    `${JSON.stringify({ summary: { resources: report.results.length, files: report.files, ...counts(report) }, results: report.results, timingsMs: report.timingsMs, validators: report.validators, ...(report.rendered ? { rendered: report.rendered } : {}) }, null, 2)}\n`,
};

/** GitHub Actions workflow commands: annotations on the PR diff (skipped documents become notices). */
const github: Formatter = {
  format: (report) => {
    const out: string[] = [];
    for (const r of report.results) {
      const status = r.status === 'skipped' ? 'notice' : r.status === 'error' ? 'warning' : 'error';
      for (const p of r.problems) {
        const level = p.severity === 'warning' ? 'warning' : status;
        const msg = `${subject(r)}: ${p.path ? `${p.path}: ` : ''}${p.message}`.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
        out.push(`::${level} file=${r.file},line=${r.line}::${msg}`);
      }
    }
    out.push(summaryLine(report));
    return out.join('\n') + '\n';
  },
};

export const FORMATTERS: Readonly<Record<FormatName, Formatter>> = { text, json, github };
