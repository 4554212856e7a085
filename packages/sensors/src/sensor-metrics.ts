/**
 * What the sensors count. The server adapts it to its prom-client registry; nothing here touches
 * global metric state.
 */
export interface SensorMetrics {
  /** A trigger passed validation and was published. */
  triggerEmitted(labels: { type: string; source: string }): void;
  /** A trigger was refused (and dead-lettered); `code` is the error code. */
  triggerRejected(labels: { type: string; source: string; code: string }): void;
  /** The recorder stored a batch of `count` triggers (duplicates excluded). */
  triggersStored(count: number): void;
  /** Retention removed `count` triggers. */
  triggersExpired(count: number): void;
  /** A webhook request was answered with `status`. */
  webhookRequest(labels: { webhook: string; status: number }): void;
  /** A pack poller threw or timed out. */
  pollFailed(labels: { sensor: string }): void;
}

/** Counts nothing. */
export const noopSensorMetrics: SensorMetrics = {
  triggerEmitted() {},
  triggerRejected() {},
  triggersStored() {},
  triggersExpired() {},
  webhookRequest() {},
  pollFailed() {},
};

/** Keeps every count in memory, keyed `<metric>{label=value,…}`: for tests and small embeddings. */
export class CountingSensorMetrics implements SensorMetrics {
  private readonly counts = new Map<string, number>();

  /** The count of a metric with exactly these labels (0 when never counted). */
  get(metric: keyof SensorMetrics, labels: Record<string, string | number> = {}): number {
    return this.counts.get(key(metric, labels)) ?? 0;
  }

  triggerEmitted(labels: { type: string; source: string }): void {
    this.add('triggerEmitted', labels, 1);
  }
  triggerRejected(labels: { type: string; source: string; code: string }): void {
    this.add('triggerRejected', labels, 1);
  }
  triggersStored(count: number): void {
    this.add('triggersStored', {}, count);
  }
  triggersExpired(count: number): void {
    this.add('triggersExpired', {}, count);
  }
  webhookRequest(labels: { webhook: string; status: number }): void {
    this.add('webhookRequest', labels, 1);
  }
  pollFailed(labels: { sensor: string }): void {
    this.add('pollFailed', labels, 1);
  }

  private add(metric: keyof SensorMetrics, labels: Record<string, string | number>, by: number): void {
    const k = key(metric, labels);
    this.counts.set(k, (this.counts.get(k) ?? 0) + by);
  }
}

function key(metric: string, labels: Record<string, string | number>): string {
  const parts = Object.keys(labels).sort().map((name) => `${name}=${String(labels[name])}`);
  return `${metric}{${parts.join(',')}}`;
}
