import { Streams, type Logger, type StreamName } from '@weir/core';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  NatsError,
  RetentionPolicy,
  StorageType,
  nanos,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
  type ConsumerInfo,
} from 'nats';
import type { CompiledConsumerOptions } from './consumer-options.js';
import { BusSetupError, InvalidConsumerError } from './errors.js';
import type { NatsNamespace } from './nats-namespace.js';
import { allStreams } from './stream-for.js';

// JetStream API error codes (nats-server errors.json) this module reacts to.
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_NOT_FOUND = 10014;
const CONSUMER_NAME_IN_USE = 10013;
const CONSUMER_EXISTS = 10105;
const WORK_QUEUE_UNFILTERED = 10099;
const WORK_QUEUE_NOT_UNIQUE = 10100;

/** The JetStream API error code of `error`, when it is one. */
export function apiErrorCode(error: unknown): number | undefined {
  return error instanceof NatsError ? error.api_error?.err_code : undefined;
}

/** A short description of a NATS failure for one-line messages. */
export function describeNatsError(error: unknown): string {
  if (error instanceof NatsError) return error.api_error?.description ?? error.message;
  return error instanceof Error ? error.message : String(error);
}

export interface StreamSettings {
  namespace: NatsNamespace;
  duplicateWindowMs: number;
  maxAgeMs: number;
  storage: 'file' | 'memory';
  log: Logger;
}

/**
 * Creates Weir's four streams, or brings existing ones to the configuration this process wants.
 * Safe to run from every process at start-up, concurrently: a lost race to create is followed by
 * a compare-and-update like any other start.
 */
export async function ensureStreams(jsm: JetStreamManager, settings: StreamSettings): Promise<void> {
  for (const name of allStreams()) await ensureStream(jsm, name, settings);
}

async function ensureStream(jsm: JetStreamManager, logical: StreamName, settings: StreamSettings): Promise<void> {
  const name = settings.namespace.stream(logical);
  const workQueue = Streams[logical].retention === 'workqueue';
  const wanted: Partial<StreamConfig> = {
    name,
    subjects: Streams[logical].subjects.map((s) => settings.namespace.toWire(s)),
    retention: workQueue ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
    storage: settings.storage === 'memory' ? StorageType.Memory : StorageType.File,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(settings.duplicateWindowMs),
    // Tasks are work that must not be lost, whatever their age; the others are logs.
    max_age: workQueue ? 0 : nanos(settings.maxAgeMs),
  };
  let info = await lookup(() => jsm.streams.info(name), STREAM_NOT_FOUND, `stream ${name}`);
  if (!info) {
    try {
      await jsm.streams.add(wanted);
      settings.log.info({ stream: name }, 'stream created');
      return;
    } catch (error) {
      if (apiErrorCode(error) !== STREAM_NAME_IN_USE) throw new BusSetupError(`stream ${name}`, describeNatsError(error), { cause: error });
      info = await lookup(() => jsm.streams.info(name), STREAM_NOT_FOUND, `stream ${name}`);
      if (!info) throw new BusSetupError(`stream ${name}`, 'created and deleted concurrently by another process', { cause: error });
    }
  }
  const current = info.config;
  if (current.retention !== wanted.retention || current.storage !== wanted.storage) {
    // Neither can be changed in place; deleting would lose messages, so a person decides.
    throw new BusSetupError(
      `stream ${name}`,
      `it exists with ${current.retention} retention on ${current.storage} storage, Weir needs ${wanted.retention} on ${wanted.storage}: remove it (nats stream rm ${name}) or choose another namespace`,
    );
  }
  const drifted =
    !sameList(current.subjects, wanted.subjects ?? []) ||
    current.duplicate_window !== wanted.duplicate_window ||
    current.max_age !== wanted.max_age ||
    current.discard !== wanted.discard;
  if (!drifted) return;
  try {
    await jsm.streams.update(name, {
      subjects: wanted.subjects ?? [],
      duplicate_window: wanted.duplicate_window ?? 0,
      max_age: wanted.max_age ?? 0,
      discard: wanted.discard ?? DiscardPolicy.Old,
    });
    settings.log.info({ stream: name }, 'stream updated');
  } catch (error) {
    throw new BusSetupError(`stream ${name}`, describeNatsError(error), { cause: error });
  }
}

/**
 * Creates the durable pull consumer, or updates it when its settings changed. JetStream's own
 * max_deliver stays unlimited: the client decides when to give up, so it can record a dead letter
 * with the reason (JetStream would only stop delivering, silently).
 */
export async function ensureConsumer(
  jsm: JetStreamManager,
  target: { stream: string; options: CompiledConsumerOptions; namespace: NatsNamespace },
): Promise<void> {
  const { stream, options, namespace } = target;
  const resource = `consumer ${stream}/${options.name}`;
  const wanted: Partial<ConsumerConfig> = {
    durable_name: options.name,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.ackTimeoutMs),
    filter_subject: namespace.toWire(options.subject),
    max_deliver: -1,
    deliver_policy: DeliverPolicy.All,
  };
  const fail = (error: unknown): Error => {
    const code = apiErrorCode(error);
    if (code === WORK_QUEUE_NOT_UNIQUE || code === WORK_QUEUE_UNFILTERED) {
      return new InvalidConsumerError(
        options.name,
        `subject ${options.subject} overlaps another consumer on work queue ${stream}: each task subject takes exactly one consumer`,
        { cause: error },
      );
    }
    return new BusSetupError(resource, describeNatsError(error), { cause: error });
  };
  let info = await lookup(() => jsm.consumers.info(stream, options.name), CONSUMER_NOT_FOUND, resource);
  if (!info) {
    try {
      await jsm.consumers.add(stream, wanted);
      return;
    } catch (error) {
      const code = apiErrorCode(error);
      if (code !== CONSUMER_NAME_IN_USE && code !== CONSUMER_EXISTS) throw fail(error);
      info = await lookup(() => jsm.consumers.info(stream, options.name), CONSUMER_NOT_FOUND, resource);
      if (!info) throw fail(error);
    }
  }
  const current = info.config;
  if (current.ack_wait === wanted.ack_wait && current.filter_subject === wanted.filter_subject && current.max_deliver === wanted.max_deliver) {
    return;
  }
  try {
    await jsm.consumers.update(stream, options.name, {
      ack_wait: wanted.ack_wait ?? 0,
      filter_subject: wanted.filter_subject ?? '',
      max_deliver: -1,
    });
  } catch (error) {
    throw fail(error);
  }
}

/** Runs an info call; undefined when the API says `notFound`, a BusSetupError for anything else. */
async function lookup<T extends StreamInfo | ConsumerInfo>(call: () => Promise<T>, notFound: number, resource: string): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (apiErrorCode(error) === notFound) return undefined;
    throw new BusSetupError(resource, describeNatsError(error), { cause: error });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
