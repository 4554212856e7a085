import { globToLikePattern } from '@weir/fleet';

describe('selection globs as SQL LIKE patterns', () => {
  it('turns * into % and ? into _', () => {
    expect(globToLikePattern('edge-*.am?')).toBe('edge-%.am_');
  });

  it('escapes LIKE wildcards and the escape character so they match themselves', () => {
    expect(globToLikePattern('web_a*')).toBe('web\\_a%');
    expect(globToLikePattern('100%')).toBe('100\\%');
    expect(globToLikePattern('a\\b')).toBe('a\\\\b');
  });
});
