import { windowGate, type WindowSettings } from '../../src/index.js';
import { evaluate, fleetOf, impactOf, policy, server } from '../gate-fixtures.js';

// Amsterdam is UTC+1 in March 2026 (before the switch to summer time on the 29th).
const at = (iso: string) => Date.parse(iso);
const ams = impactOf([server('edge-001.ams')]);
const fleet = fleetOf(ams.targets, { ams: 'Europe/Amsterdam', nyc: 'America/New_York' });
const nightly = policy<WindowSettings>('window', { mode: 'allow', windows: [{ cron: '0 2 * * *', duration: '4h' }] });

describe('window gate, allow mode', () => {
  it('admits inside the maintenance window, in the site time zone', () => {
    // 02:30 UTC is 03:30 in Amsterdam: inside 02:00–06:00 local.
    const v = evaluate(windowGate, nightly, { impact: ams, fleet, now: at('2026-03-02T02:30:00Z') });
    expect(v.verdict).toBe('admit');
    expect(v.reason).toBe('site ams: inside an allowed window until 2026-03-02 06:00 Europe/Amsterdam');
  });

  it('waits outside the window until the next one opens', () => {
    // 05:30 UTC is 06:30 in Amsterdam: the window closed half an hour ago.
    const v = evaluate(windowGate, nightly, { impact: ams, fleet, now: at('2026-03-02T05:30:00Z') });
    expect(v.verdict).toBe('wait');
    expect(v.retryAt).toBe(at('2026-03-03T01:00:00Z'));
    expect(v.releasedBy).toEqual(['time']);
    expect(v.reason).toBe('site ams: outside every allowed window; the next opens at 2026-03-03 02:00 Europe/Amsterdam (in 19h30m)');
  });

  it('evaluates each site in its own zone', () => {
    const both = impactOf([server('edge-001.ams'), server('edge-001.nyc')]);
    // 03:00 local in Amsterdam, 21:00 the day before in New York.
    const v = evaluate(windowGate, nightly, { impact: both, fleet: fleetOf(both.targets, { ams: 'Europe/Amsterdam', nyc: 'America/New_York' }), now: at('2026-03-02T02:00:00Z') });
    expect(v.verdict).toBe('wait');
    expect(v.reason).toMatch(/^site nyc: outside every allowed window; the next opens at 2026-03-02 02:00 America\/New_York \(in 5h\)$/);
  });

  it('answers each instant alike when one policy is asked again and again (answers are kept while they hold)', () => {
    const kept = policy<WindowSettings>('window', { mode: 'allow', windows: [{ cron: '0 2 * * *', duration: '4h' }] });
    const ask = (iso: string) => evaluate(windowGate, kept, { impact: ams, fleet, now: at(iso) });
    expect(ask('2026-03-02T02:30:00Z').verdict).toBe('admit');
    expect(ask('2026-03-02T04:59:59Z').reason).toBe('site ams: inside an allowed window until 2026-03-02 06:00 Europe/Amsterdam');
    // 05:00 UTC is 06:00 in Amsterdam: the window just closed.
    expect(ask('2026-03-02T05:00:00Z').verdict).toBe('wait');
    expect(ask('2026-03-02T05:00:01Z').reason).toMatch(/\(in 19h59m59s\)$/);
    // Asked about an earlier instant again (a simulation): answered for that instant.
    expect(ask('2026-03-02T03:00:00Z').verdict).toBe('admit');
    expect(ask('2026-03-03T01:00:00Z').verdict).toBe('admit');
  });

  it('uses time_zone instead of the site zone when given', () => {
    const utc = policy<WindowSettings>('window', { mode: 'allow', windows: [{ cron: '0 2 * * *', duration: '4h' }], time_zone: 'UTC' });
    expect(evaluate(windowGate, utc, { impact: ams, fleet, now: at('2026-03-02T05:30:00Z') }).verdict).toBe('admit');
  });
});

describe('window gate, freeze mode', () => {
  // Fridays from 16:00 for 64 hours: a weekend change freeze.
  const freeze = policy<WindowSettings>('window', { mode: 'freeze', windows: [{ cron: '0 16 * * 5', duration: '64h' }] });

  it('admits outside the freeze', () => {
    expect(evaluate(windowGate, freeze, { impact: ams, fleet, now: at('2026-03-05T12:00:00Z') }).verdict).toBe('admit');
  });

  it('stops admitting when the freeze starts, though it admitted just before', () => {
    // Friday 16:00 in Amsterdam is 15:00 UTC.
    expect(evaluate(windowGate, freeze, { impact: ams, fleet, now: at('2026-03-06T14:59:59Z') }).verdict).toBe('admit');
    expect(evaluate(windowGate, freeze, { impact: ams, fleet, now: at('2026-03-06T15:00:00Z') }).verdict).toBe('wait');
  });

  it('waits inside the freeze until it ends', () => {
    const v = evaluate(windowGate, freeze, { impact: ams, fleet, now: at('2026-03-07T12:00:00Z') });
    expect(v.verdict).toBe('wait');
    expect(v.retryAt).toBe(at('2026-03-09T07:00:00Z'));
    expect(v.reason).toBe('site ams: frozen until 2026-03-09 08:00 Europe/Amsterdam (in 1d19h)');
  });

  it('waits until the end of back-to-back freezes', () => {
    const twoParts = policy<WindowSettings>('window', {
      mode: 'freeze',
      windows: [{ cron: '0 8 * * *', duration: '3h' }, { cron: '0 11 * * *', duration: '2h' }],
      time_zone: 'UTC',
    });
    const v = evaluate(windowGate, twoParts, { impact: ams, fleet, now: at('2026-03-02T10:00:00Z') });
    expect(v.verdict).toBe('wait');
    expect(v.retryAt).toBe(at('2026-03-02T13:00:00Z'));
    expect(v.reason).toBe('site ams: frozen until 2026-03-02 13:00 UTC (in 3h)');
  });
});

describe('window gate settings', () => {
  it('names a bad cron, duration or zone', () => {
    expect(() => policy('window', { mode: 'allow', windows: [{ cron: '99 * * * *', duration: '1h' }] })).toThrow(/settings\.windows\[0\]\.cron: not a cron pattern/);
    expect(() => policy('window', { mode: 'allow', windows: [{ cron: '0 2 * * *', duration: 'soon' }] })).toThrow(/settings\.windows\[0\]\.duration: must be a duration/);
    expect(() => policy('window', { mode: 'allow', windows: [{ cron: '0 2 * * *', duration: '1h' }], time_zone: 'Mars/Olympus' })).toThrow(/settings\.time_zone: unknown time zone/);
    expect(() => policy('window', { mode: 'allow', windows: [{ cron: '0 2 * * *', duraton: '1h' }] })).toThrow(/settings\.windows\[0\]\.duraton: unknown setting; did you mean duration\?/);
  });
});
