import type { StreamName } from '@weir/core';

/**
 * Maps Weir's subjects and stream names onto a shared server. With namespace `t1`, `weir.task.x`
 * travels as `t1.weir.task.x` in stream `t1_WEIR_TASKS`; without one, names are used as they are.
 * Subjects must be mapped too, not only stream names: JetStream refuses two streams whose subjects
 * overlap, so two isolated buses need disjoint subjects.
 */
export class NatsNamespace {
  private readonly prefix: string;

  constructor(readonly namespace: string) {
    this.prefix = namespace ? `${namespace}.` : '';
  }

  stream(name: StreamName): string {
    return this.namespace ? `${this.namespace}_${name}` : name;
  }

  toWire(subject: string): string {
    return this.prefix + subject;
  }

  fromWire(subject: string): string {
    return this.prefix && subject.startsWith(this.prefix) ? subject.slice(this.prefix.length) : subject;
  }
}
