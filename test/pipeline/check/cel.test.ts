import { describe, expect, it } from 'vitest';
import { CelValidator } from '../../../pipeline/check/cel';

const schema = (rules: { rule: string; message?: string; fieldPath?: string }[]) => ({
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: { items: { type: 'array', items: { type: 'string', 'x-kubernetes-validations': [{ rule: "self != ''", message: 'must not be empty' }] } } },
      'x-kubernetes-validations': rules,
    },
  },
});

describe('CEL rules', () => {
  const cel = new CelValidator();

  it('passes rules that hold and binds self at the rule node (list items get each element)', () => {
    expect(cel.validate(schema([{ rule: 'self.items.size() == 2' }]), { spec: { items: ['a', 'b'] } })).toEqual([]);
  });

  it('fails with the message and the path of the element that broke an item rule', () => {
    expect(cel.validate(schema([]), { spec: { items: ['a', ''] } })).toEqual([
      { path: 'spec.items[1]', message: 'must not be empty', rule: "self != ''", outcome: 'failed' },
    ]);
  });

  it('uses fieldPath and falls back to the rule text when a rule has no message', () => {
    expect(cel.validate(schema([{ rule: 'self.items.size() == 0', fieldPath: '.items' }]), { spec: { items: ['a'] } })).toEqual([
      { path: 'spec.items', message: 'failed rule: self.items.size() == 0', rule: 'self.items.size() == 0', outcome: 'failed' },
    ]);
  });

  it('supports the Kubernetes string/regex library functions the pinned CRDs use', () => {
    const rules = [
      { rule: "self.name.find('^[^@]+') == 'al2023'" },
      { rule: "self.name.split('@')[1] == 'v20251117'" },
      { rule: "self.name.matches('^[a-zA-Z0-9]+@.+$') && self.name.startsWith('al') && !self.name.endsWith('latest')" },
    ];
    const s = { type: 'object', properties: { name: { type: 'string' } }, 'x-kubernetes-validations': rules };
    expect(cel.validate(s, { name: 'al2023@v20251117' })).toEqual([]);
  });

  it('reports a rule that cannot be evaluated instead of passing it', () => {
    const s = { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.missing.size() > 0' }, { rule: 'self.q.noSuchFunction(1)' }] };
    const findings = cel.validate(s, { q: '1Gi' });
    expect(findings).toHaveLength(2);
    expect(findings.every((f) => f.outcome === 'unevaluated')).toBe(true);
    expect(findings[0]!.message).toMatch(/^rule could not be (evaluated|compiled): /);
  });

  it('skips transition rules (oldSelf)', () => {
    const s = { type: 'object', 'x-kubernetes-validations': [{ rule: 'self == oldSelf' }] };
    expect(cel.validate(s, { a: 1 })).toEqual([]);
  });
});

describe('CEL values', () => {
  it('hands integer fields to CEL as ints, so int arithmetic and comparisons work', () => {
    const cel = new CelValidator();
    const s = {
      type: 'object',
      properties: { a: { type: 'integer' }, b: { type: 'integer' }, r: { type: 'number' } },
      'x-kubernetes-validations': [{ rule: 'self.a + 1 > self.b', message: 'a must be >= b' }, { rule: 'self.r < 1.0' }],
    };
    expect(cel.validate(s, { a: 3, b: 3, r: 0.5 })).toEqual([]);
    expect(cel.validate(s, { a: 1, b: 3, r: 0.5 }).map((f) => f.message)).toEqual(['a must be >= b']);
  });
});

describe('CEL quantity library', () => {
  it('compares resource quantities', () => {
    const cel = new CelValidator();
    const s = {
      type: 'object',
      'x-kubernetes-validations': [
        { rule: "quantity(self.memory).isLessThan(quantity('2Gi'))", message: 'memory must be below 2Gi' },
        { rule: "isQuantity(self.cpu) && quantity(self.cpu).compareTo(quantity('1500m')) == 0", message: 'cpu must be 1.5' },
      ],
    };
    expect(cel.validate(s, { memory: '1Gi', cpu: '1.5' })).toEqual([]);
    expect(cel.validate(s, { memory: '3Gi', cpu: '2' }).map((f) => f.message)).toEqual(['memory must be below 2Gi', 'cpu must be 1.5']);
  });
});
