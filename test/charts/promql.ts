import { parser } from '@prometheus-io/lezer-promql';

/**
 * PromQL checks with the grammar the Prometheus UI uses (@prometheus-io/lezer-promql): syntax errors, plus the
 * one type rule the grammar alone lets through and that breaks rules at load time: a range vector (`x[5m]`,
 * subquery) only as the argument of a function that takes one, and those functions only with one.
 */

/** Functions whose (first, or for quantile_over_time/predict_linear-style: the range) argument is a range vector. */
const RANGE_FUNCTIONS = new Set([
  'Rate',
  'Irate',
  'Increase',
  'Delta',
  'Idelta',
  'Deriv',
  'Changes',
  'Resets',
  'PredictLinear',
  'HoltWinters',
  'DoubleExponentialSmoothing',
  'AvgOverTime',
  'MinOverTime',
  'MaxOverTime',
  'SumOverTime',
  'CountOverTime',
  'QuantileOverTime',
  'StddevOverTime',
  'StdvarOverTime',
  'LastOverTime',
  'PresentOverTime',
  'AbsentOverTime',
  'MadOverTime',
  'TsOfMaxOverTime',
  'TsOfMinOverTime',
  'TsOfLastOverTime',
  'FirstOverTime',
]);

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

const isRange = (n: SyntaxNode | null): boolean => n !== null && (n.name === 'MatrixSelector' || n.name === 'SubqueryExpr');

/** Problems of one expression (empty = valid). */
export function promqlProblems(expr: string): string[] {
  const tree = parser.parse(expr);
  // Error recovery yields several error nodes for one mistake: report the first, and skip type checks on a broken tree.
  let firstError: number | undefined;
  tree.iterate({
    enter: (ref) => {
      if (ref.node.type.isError) firstError ??= ref.node.from;
    },
  });
  if (firstError !== undefined) return [`syntax error at ${firstError}: near ${JSON.stringify(expr.slice(firstError, firstError + 16))}`];
  const problems: string[] = [];
  tree.iterate({
    enter: (ref) => {
      const node = ref.node;
      if (node.name !== 'FunctionCall') return;
      const fn = node.getChild('FunctionIdentifier')?.firstChild?.name ?? '?';
      const args: SyntaxNode[] = [];
      for (let c = node.getChild('FunctionCallBody')?.firstChild ?? null; c !== null; c = c.nextSibling)
        if (c.name !== '(' && c.name !== ')' && c.name !== ',') args.push(c);
      const rangeArgs = args.filter(isRange).length;
      if (RANGE_FUNCTIONS.has(fn) && rangeArgs !== 1) problems.push(`${fn} needs one range-vector argument`);
      if (!RANGE_FUNCTIONS.has(fn) && rangeArgs > 0) problems.push(`${fn} does not take a range vector`);
    },
  });
  // A range vector anywhere but directly inside a function call (e.g. `sum(x[5m])`, `x[5m] > 0`) is an error too.
  tree.iterate({
    enter: (ref) => {
      if (!isRange(ref.node)) return;
      const parent = ref.node.parent;
      if (parent?.name !== 'FunctionCallBody' || parent.parent?.name !== 'FunctionCall')
        problems.push(`range vector outside a function call at ${ref.node.from}`);
    },
  });
  return problems;
}

/** Metric names an expression reads (the identifiers of its vector selectors). */
export function metricNames(expr: string): string[] {
  const names = new Set<string>();
  parser.parse(expr).iterate({
    enter: (ref) => {
      if (ref.node.name !== 'VectorSelector') return;
      const id = ref.node.getChild('Identifier');
      if (id) names.add(expr.slice(id.from, id.to));
    },
  });
  return [...names].sort();
}
