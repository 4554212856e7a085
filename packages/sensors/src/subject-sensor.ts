import { silentLogger, Subjects, type Bus, type BusMessage, type DeadLetterRepository, type Logger, type Subscription, type TriggerId } from '@weir/core';
import { TriggerRejectedError } from './errors.js';
import type { TriggerIntake } from './trigger-intake.js';

/** A NATS subject whose JSON messages become triggers of one type. */
export interface SubjectSensorDefinition {
  /** Sensor name, used in the trigger's source (`subject:<name>`). */
  name: string;
  /** Subject pattern (`*`, `>` allowed), e.g. `fleet.events.>`. Must not overlap `weir.trigger.>`. */
  subject: string;
  /** Trigger type of every message, e.g. `fleet.disk_failed`. */
  triggerType: string;
}

/** Dependencies of a subject sensor. */
export interface SubjectSensorOptions {
  definition: SubjectSensorDefinition;
  bus: Bus;
  intake: TriggerIntake;
  deadLetters: DeadLetterRepository;
  /** @default silentLogger */
  log?: Logger;
}

/**
 * Subscribes to a subject (fan-out, through the Bus `subscribe` port) and emits each message's
 * JSON body as a trigger payload. Every replica subscribes, so a message published once becomes a
 * trigger once per replica *unless* its publisher sets a msgId: that id is reused as the trigger
 * id, so the trigger stream keeps one. Invalid payloads are dead-lettered by the intake; a body
 * that is not JSON reaches `receiveRaw` through the bus's `onUndecodable` and is dead-lettered there.
 */
export class SubjectSensor {
  private readonly definition: SubjectSensorDefinition;
  private readonly bus: Bus;
  private readonly intake: TriggerIntake;
  private readonly deadLetters: DeadLetterRepository;
  private readonly log: Logger;
  private subscription: Subscription | undefined;

  constructor(options: SubjectSensorOptions) {
    this.definition = options.definition;
    this.bus = options.bus;
    this.intake = options.intake;
    this.deadLetters = options.deadLetters;
    this.log = (options.log ?? silentLogger).child({ component: 'subject-sensor', sensor: options.definition.name });
  }

  get source(): string {
    return `subject:${this.definition.name}`;
  }

  async start(): Promise<void> {
    this.subscription ??= await this.bus.subscribe<unknown>(this.definition.subject, (message) => this.receive(message), {
      // A foreign publisher's non-JSON body: recorded as a dead letter rather than lost.
      onUndecodable: (raw) => this.receiveRaw(raw),
    });
  }

  async stop(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.unsubscribe();
  }

  /** Emits one decoded message as a trigger; refusals are already dead-lettered by the intake. */
  async receive(message: BusMessage<unknown>): Promise<void> {
    try {
      // A publisher's UUID msgId becomes the trigger id: replicas then publish one de-duplicated trigger.
      const options = message.msgId !== undefined && UUID.test(message.msgId) ? { id: message.msgId as TriggerId } : {};
      await this.intake.emit(this.definition.triggerType, message.data, this.source, options);
    } catch (error) {
      if (error instanceof TriggerRejectedError) return;
      this.log.error({ subject: message.subject, err: error instanceof Error ? error.message : String(error) }, 'message not turned into a trigger');
    }
  }

  /**
   * Entry point for a message body as text (a transport that hands over undecoded bodies): JSON is
   * emitted, anything else is recorded as a dead letter with the reason.
   */
  async receiveRaw(message: { subject: string; text: string; headers?: Record<string, string>; msgId?: string }): Promise<void> {
    let data: unknown;
    try {
      // Parsing boundary: whatever a foreign publisher sent.
      data = JSON.parse(message.text) as unknown;
    } catch (error) {
      const reason = `body is not JSON: ${error instanceof Error ? error.message : String(error)}`;
      this.log.warn({ subject: message.subject, reason }, 'message dead-lettered');
      await this.deadLetters.insert({
        subject: message.subject,
        consumer: this.source,
        data: { text: message.text, triggerType: this.definition.triggerType },
        headers: message.headers ?? {},
        msgId: message.msgId,
        attempts: 1,
        reason,
      });
      return;
    }
    await this.receive({ subject: message.subject, data, headers: message.headers ?? {}, msgId: message.msgId });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a sensor's subject could catch the triggers sensors publish (which would loop forever). */
export function overlapsTriggerSubjects(subject: string): boolean {
  const root = Subjects.trigger('x').split('.').slice(0, 2);
  const tokens = subject.split('.');
  for (let i = 0; i < root.length; i++) {
    const token = tokens[i];
    if (token === undefined) return false;
    if (token === '>') return true;
    if (token !== '*' && token !== root[i]) return false;
  }
  return true;
}
