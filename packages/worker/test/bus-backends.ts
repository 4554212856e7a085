import { randomUUID } from 'node:crypto';
import { connect } from 'nats';
import type { Bus, DeadLetter, DeadLetterSink } from '@weir/core';
import { InProcessBus, NatsBus } from '@weir/bus';
import { TEST_NATS_URL } from '@weir/testing';

/** One process's connection to the bus, which can also die without settling what it holds. */
export interface BusClient {
  bus: Bus;
  crash(): Promise<void>;
}

/** A bus opened for one test: a main client, the dead letters recorded, more clients on demand. */
export interface OpenBus {
  bus: Bus;
  letters: DeadLetter[];
  connect(): Promise<BusClient>;
  close(): Promise<void>;
}

/** A backend the worker suite runs on. */
export interface BusBackend {
  name: string;
  open(): Promise<OpenBus>;
}

function recordingSink(letters: DeadLetter[]): DeadLetterSink {
  return {
    async record(letter) {
      letters.push(letter);
    },
  };
}

const RETRY = { retryBackoffMs: 50, retryBackoffMaxMs: 200 };

export const inProcessBackend: BusBackend = {
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
      async close() {
        await Promise.all(clients.map((c) => c.close()));
        await root.close();
      },
    };
  },
};

export const natsBackend: BusBackend = {
  name: 'NATS JetStream bus',
  async open() {
    // A namespace of its own: its own streams and consumers on the shared server.
    const namespace = `w${process.pid}_${randomUUID().slice(0, 8)}`;
    const letters: DeadLetter[] = [];
    const options = { url: TEST_NATS_URL, namespace, deadLetters: recordingSink(letters), storage: 'memory' as const, ...RETRY };
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
      async close() {
        await Promise.all(clients.map((c) => c.close()));
        await root.close();
        const nc = await connect({ servers: TEST_NATS_URL });
        try {
          const jsm = await nc.jetstreamManager();
          for (const name of Object.values(root.streamNames)) await jsm.streams.delete(name).catch(() => false);
        } finally {
          await nc.close();
        }
      },
    };
  },
};
