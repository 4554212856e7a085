// CPU time of the services a benchmark drives (nats-server, postgres), read from /proc, so a figure
// can say where the machine's time went. Linux only; elsewhere every reading is 0. Other work on
// the same services is counted too: read it as an upper bound.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_MS = 100 / 1000; // USER_HZ is 100 on Linux

/** Milliseconds of CPU (user + system) used so far by every process whose name starts with `prefix`. */
export function serviceCpuMs(prefix) {
  let ticks = 0;
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return 0;
  }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      if (!name.startsWith(prefix)) continue;
      const fields = stat.slice(close + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / TICKS_PER_MS;
}
