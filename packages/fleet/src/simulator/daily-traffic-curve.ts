/**
 * The shape of a day's traffic at one site, in the site's own time zone: lowest at 04:00
 * (`DAILY_TROUGH` of the peak), rising over sixteen hours to the evening peak at 20:00, falling
 * back over eight. Half-cosine segments keep it smooth, so a threshold is crossed once, not jittered over.
 */

/** Local hour of the daily low. */
export const TROUGH_HOUR = 4;
/** Local hour of the daily peak. */
export const PEAK_HOUR = 20;
/** Traffic at the trough as a fraction of the peak. */
export const DAILY_TROUGH = 0.25;

/** The fraction of peak traffic (DAILY_TROUGH..1) at a local hour in [0, 24). */
export function dailyTrafficFactor(localHour: number): number {
  const hour = ((localHour % 24) + 24) % 24;
  const rise = PEAK_HOUR - TROUGH_HOUR;
  const sinceTrough = (hour - TROUGH_HOUR + 24) % 24;
  // 0 at the trough, 1 at the peak, along the rising segment then the falling one.
  const position = sinceTrough <= rise ? sinceTrough / rise : 1 - (sinceTrough - rise) / (24 - rise);
  const eased = (1 - Math.cos(Math.PI * position)) / 2;
  return DAILY_TROUGH + (1 - DAILY_TROUGH) * eased;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The fractional local hour (0..24) of an instant in an IANA time zone, daylight saving included. */
export function localHourOf(timeZone: string, epochMs: number): number {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, format);
  }
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of format.formatToParts(epochMs)) {
    if (part.type === 'hour') hour = Number(part.value);
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'second') second = Number(part.value);
  }
  return hour + minute / 60 + second / 3600 + (epochMs % 1000) / 3_600_000;
}
