import { describe, expect, it } from 'vitest';
import { TransitionValidator } from '../../../pipeline/check/transition';

const immutable = (extra: Record<string, unknown> = {}) => ({
  type: 'string',
  'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'is immutable' }],
  ...extra,
});

describe('CRD transition rules', () => {
  const v = new TransitionValidator();

  it("binds oldSelf to the old value at the rule's node and skips fields the update adds or leaves alone", () => {
    const schema = { type: 'object', properties: { a: immutable(), b: immutable(), c: immutable() } };
    expect(v.validate(schema, { a: 'x', b: 'same' }, { a: 'y', b: 'same', c: 'new' })).toEqual([
      { path: 'a', rule: 'self == oldSelf', outcome: 'failed', message: 'is immutable' },
    ]);
  });

  it('correlates list-type map items by their keys, never atomic list items', () => {
    const item = { type: 'object', properties: { name: { type: 'string' }, size: immutable({ type: 'integer' }) } };
    const schema = {
      type: 'object',
      properties: {
        keyed: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: item },
        atomic: { type: 'array', items: item },
      },
    };
    const old = {
      keyed: [
        { name: 'a', size: 1 },
        { name: 'b', size: 2 },
      ],
      atomic: [{ name: 'a', size: 1 }],
    };
    const cur = {
      keyed: [
        { name: 'b', size: 3 },
        { name: 'a', size: 1 },
      ],
      atomic: [{ name: 'a', size: 9 }],
    };
    expect(v.validate(schema, old, cur)).toEqual([{ path: 'keyed[0].size', rule: 'self == oldSelf', outcome: 'failed', message: 'is immutable' }]);
  });

  it('lists a rule it cannot evaluate instead of passing it', () => {
    const schema = { type: 'object', properties: { a: { type: 'string', 'x-kubernetes-validations': [{ rule: 'self.noSuchFunction() == oldSelf' }] } } };
    expect(v.validate(schema, { a: 'x' }, { a: 'y' })).toEqual([
      {
        path: 'a',
        rule: 'self.noSuchFunction() == oldSelf',
        outcome: 'unevaluated',
        message: expect.stringMatching(/^rule could not be (compiled|evaluated): /),
      },
    ]);
  });
});
