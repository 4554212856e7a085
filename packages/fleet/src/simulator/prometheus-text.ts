/**
 * Prometheus text exposition format (version 0.0.4), just the part the simulator needs: gauges
 * with labels. Written by hand rather than with prom-client because the simulator's values are
 * computed at scrape time from the clock, not kept in a registry.
 */

/** One sample of a gauge. */
export interface GaugeSample {
  labels: Record<string, string>;
  value: number;
}

/** A gauge with its help text and samples. */
export interface GaugeFamily {
  name: string;
  help: string;
  samples: GaugeSample[];
}

/** The content type scrapers expect for this format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Renders gauge families as exposition text, ending in a newline. */
export function renderPrometheusText(families: readonly GaugeFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} gauge`);
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(',');
      lines.push(`${family.name}${labels ? `{${labels}}` : ''} ${formatValue(sample.value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
