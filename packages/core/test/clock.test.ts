import { SimulatedClock, subjectMatches } from '@weir/core';

describe('simulated clock', () => {
  it('fires due timers in time order when advanced', () => {
    const clock = new SimulatedClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 200);
    clock.setTimeout(() => fired.push('a'), 100);
    const c = clock.setTimeout(() => fired.push('c'), 150);
    clock.clearTimeout(c);
    clock.advance(250);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(250);
  });
});

describe('subject matching', () => {
  it('matches * as one token and > as the rest', () => {
    expect(subjectMatches('weir.trigger.>', 'weir.trigger.core.webhook')).toBe(true);
    expect(subjectMatches('weir.trigger.>', 'weir.trigger')).toBe(false);
    expect(subjectMatches('weir.*.shell', 'weir.task.shell')).toBe(true);
    expect(subjectMatches('weir.task.shell', 'weir.task.ssh')).toBe(false);
  });
});
