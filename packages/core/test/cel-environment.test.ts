import { compileExpression, ExpressionError, PackError } from '@weir/core';

describe('chunks(list, n)', () => {
  const hosts = ['a', 'b', 'c', 'd', 'e'];

  it('cuts a list into consecutive batches of n, the last one shorter', () => {
    expect(compileExpression('chunks(input.hosts, 2)').evaluate({ input: { hosts } })).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('gives one batch when n is at least the list’s length', () => {
    expect(compileExpression('chunks(input.hosts, 5)').evaluate({ input: { hosts } })).toEqual([hosts]);
    expect(compileExpression('chunks(input.hosts, 50)').evaluate({ input: { hosts } })).toEqual([hosts]);
  });

  it('gives no batch for an empty list', () => {
    expect(compileExpression('chunks(input.hosts, 3)').evaluate({ input: { hosts: [] } })).toEqual([]);
  });

  it('cuts 1,000 items into 20 batches of 50, in order', () => {
    const many = Array.from({ length: 1000 }, (_, i) => i);
    const batches = compileExpression('chunks(input.hosts, input.size)').evaluate({ input: { hosts: many, size: 50 } }) as number[][];
    expect(batches).toHaveLength(20);
    expect(batches.every((b) => b.length === 50)).toBe(true);
    expect(batches.flat()).toEqual(many);
  });

  it('refuses a size under 1 when it evaluates', () => {
    const expression = compileExpression('chunks(input.hosts, input.size)');
    expect(() => expression.evaluate({ input: { hosts, size: 0 } })).toThrow(ExpressionError);
    expect(() => expression.evaluate({ input: { hosts, size: 0 } })).toThrow(/chunks\(\) needs a size of at least 1, got 0/);
  });

  it('refuses, when the pack loads, arguments that cannot be a list and a size', () => {
    expect(() => compileExpression('chunks("abc", 2)')).toThrow(PackError);
    expect(() => compileExpression('chunks([1, 2], "2")')).toThrow(PackError);
  });
});
