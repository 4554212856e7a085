import { parseRange, parseVersion, satisfies } from '@weir/core';

describe('version ranges', () => {
  it.each([
    ['1.2.3', '1.2.3', true],
    ['1.2.4', '^1.2.3', true],
    ['2.0.0', '^1.2.3', false],
    ['0.2.9', '^0.2.1', true],
    ['0.3.0', '^0.2.1', false],
    ['1.2.9', '~1.2.0', true],
    ['1.3.0', '~1.2.0', false],
    ['1.5.0', '>=1.0.0 <2.0.0', true],
    ['2.0.0', '>=1.0.0 <2.0.0', false],
    ['1.9.0', '1.x', true],
    ['3.1.0', '^1.0.0 || ^3.0.0', true],
    ['9.9.9', '*', true],
    ['1.0.0-rc.1', '>=1.0.0', false],
  ])('%s in %s: %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });

  it('rejects what is not a version or a range', () => {
    expect(parseVersion('1.2')).toBeUndefined();
    expect(parseRange('banana')).toBeUndefined();
  });
});
