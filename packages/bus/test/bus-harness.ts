import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import type { Bus, DeadLetter, DeadLetterSink } from '@weir/core';
import { InProcessBus, NatsBus } from '@weir/bus';
import { TEST_NATS_URL } from '@weir/testing';

/** One client of the bus under test: a process's connection, which can also crash. */
export interface BusClient {
  bus: Bus;
  /** Dies without settling what it holds (closes its connection at once). */
  crash(): Promise<void>;
}

/** A bus backend opened for one suite: a main client, the dead letters recorded, more clients on demand. */
export interface BusHarness {
  bus: Bus;
  letters: DeadLetter[];
  connect(): Promise<BusClient>;
  teardown(): Promise<void>;
}

export interface Backend {
  name: string;
  open(): Promise<BusHarness>;
}

/** A short unique token for subjects, consumer names and msgIds, so tests never see each other's messages. */
export function uid(): string {
  return randomUUID().slice(0, 8);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function recordingSink(letters: DeadLetter[]): DeadLetterSink {
  return {
    async record(letter) {
      letters.push(letter);
    },
  };
}

/** Short retry backoff so failure paths take milliseconds, not seconds. */
const RETRY = { retryBackoffMs: 50, retryBackoffMaxMs: 200 };

export const inProcessBackend: Backend = {
  name: 'in-process bus',
  async open() {
    const letters: DeadLetter[] = [];
    const root = new InProcessBus({ deadLetters: recordingSink(letters), ...RETRY });
    const clients: InProcessBus[] = [];
    return {
      bus: root,
      letters,
      async connect() {
        const client = root.connect();
        clients.push(client);
        return { bus: client, crash: () => client.abort() };
      },
      async teardown() {
        await Promise.all(clients.map((c) => c.close()));
        await root.close();
      },
    };
  },
};

export const natsBackend: Backend = {
  name: 'NATS JetStream bus',
  async open() {
    // A namespace per suite run: its own streams and subjects, so parallel suites never collide.
    const namespace = `t${process.pid}_${uid()}`;
    const letters: DeadLetter[] = [];
    const options = {
      url: TEST_NATS_URL,
      namespace,
      deadLetters: recordingSink(letters),
      storage: 'memory' as const,
      duplicateWindowMs: 30_000,
      ...RETRY,
    };
    const root = await NatsBus.connect(options);
    const clients: NatsBus[] = [];
    return {
      bus: root,
      letters,
      async connect() {
        const client = await NatsBus.connect(options);
        clients.push(client);
        return { bus: client, crash: () => client.abort() };
      },
      async teardown() {
        await Promise.all(clients.map((c) => c.close()));
        await root.close();
        await deleteStreams(Object.values(root.streamNames));
      },
    };
  },
};

/** Removes a suite's streams (and with them its consumers) from the shared server. */
export async function deleteStreams(names: string[]): Promise<void> {
  const nc = await connect({ servers: TEST_NATS_URL });
  try {
    const jsm = await nc.jetstreamManager();
    for (const name of names) await jsm.streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}
