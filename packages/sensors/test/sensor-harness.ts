import { fileURLToPath } from 'node:url';
import { loadPack, type Bus, type Consumer, type DeadLetter, type DeadLetterRepository, type LoadedPack, type StoredDeadLetter, type Subscription } from '@weir/core';

/** The repository's packs folder and the tests' fixture packs. */
export const PACKS_DIR = fileURLToPath(new URL('../../../packs/', import.meta.url));
export const FIXTURES_DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** core, alertmanager and the fixture pack `testpack`, loaded once per test file. */
export async function loadTestPacks(): Promise<LoadedPack[]> {
  const core = await loadOne(`${PACKS_DIR}core`, []);
  const alertmanager = await loadOne(`${PACKS_DIR}alertmanager`, [core]);
  const testpack = await loadOne(`${FIXTURES_DIR}testpack`, []);
  return [core, alertmanager, testpack];
}

export async function loadOne(dir: string, dependencies: LoadedPack[]): Promise<LoadedPack> {
  const { pack, errors } = await loadPack(dir, { dependencies });
  if (!pack) throw new Error(`pack ${dir} does not load: ${errors.map((e) => e.toString()).join('\n')}`);
  return pack;
}

/** Dead letters kept in memory; `failing` makes inserts throw. */
export class MemoryDeadLetters implements DeadLetterRepository {
  readonly letters: StoredDeadLetter[] = [];
  failing = false;
  async insert(letter: DeadLetter): Promise<StoredDeadLetter> {
    if (this.failing) throw new Error('database down');
    const stored = { ...letter, id: String(this.letters.length + 1), recordedAt: Date.now() };
    this.letters.push(stored);
    return stored;
  }
  async list(): Promise<StoredDeadLetter[]> {
    return [...this.letters].reverse();
  }
}

/** A bus that keeps what is published (de-duplicated by msgId, as the real ones do); `failing` makes publish throw. */
export class RecordingBus implements Bus {
  readonly published: Array<{ subject: string; data: unknown; msgId: string | undefined }> = [];
  readonly duplicates: string[] = [];
  failing = false;
  private readonly seen = new Set<string>();

  async publish(subject: string, data: unknown, options: { msgId?: string } = {}): Promise<void> {
    if (this.failing) throw new Error('nats down');
    if (options.msgId !== undefined) {
      if (this.seen.has(options.msgId)) {
        this.duplicates.push(options.msgId);
        return;
      }
      this.seen.add(options.msgId);
    }
    this.published.push({ subject, data: JSON.parse(JSON.stringify(data)) as unknown, msgId: options.msgId });
  }
  /** Calls of publishMany, with how many messages each carried. */
  readonly batches: number[] = [];
  async publishMany(messages: Parameters<Bus['publishMany']>[0]): Promise<void> {
    this.batches.push(messages.length);
    for (const m of messages) await this.publish(m.subject, m.data, m.options);
  }
  async subscribe(): Promise<Subscription> {
    throw new Error('RecordingBus does not subscribe');
  }
  async consume(): Promise<Consumer> {
    throw new Error('RecordingBus does not consume');
  }
  async close(): Promise<void> {}
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Lets pending promise callbacks run (emits are async behind a simulated clock). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A response as the tests read it. */
export interface HttpResponse {
  statusCode: number;
  json<T = Record<string, unknown>>(): T;
}

/**
 * Sends a request to a listening server over real HTTP. (fastify's `inject` pulls light-my-request,
 * whose ESM-only `cookie` dependency jest's module runtime cannot require.)
 */
export async function httpRequest(baseUrl: string, request: { method: string; url: string; headers?: Record<string, string>; payload?: string }): Promise<HttpResponse> {
  const init: RequestInit = { method: request.method, headers: request.headers ?? {} };
  if (request.payload !== undefined) init.body = request.payload;
  const res = await fetch(`${baseUrl}${request.url}`, init);
  const text = await res.text();
  return {
    statusCode: res.status,
    json<T>() {
      return JSON.parse(text) as T;
    },
  };
}
