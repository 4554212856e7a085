import net from 'node:net';
import pg from 'pg';

/** The real services integration tests use; override with env for another machine. */
export const TEST_DATABASE_URL = process.env.WEIR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_NATS_URL = process.env.WEIR_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

/** Under WEIR_REQUIRE_SERVICES=1 (CI) a missing service fails the suite instead of skipping it. */
export const servicesRequired = process.env.WEIR_REQUIRE_SERVICES === '1';

/** Opens a TCP connection to host:port; resolves true when something listens. */
export function tcpReachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether `service` answers. When it does not and services are required, throws so the suite
 * fails loudly; otherwise returns false so the caller can skip its real-service suite.
 */
export async function serviceAvailable(service: 'postgres' | 'nats', url?: string): Promise<boolean> {
  const target = new URL(url ?? (service === 'postgres' ? TEST_DATABASE_URL : TEST_NATS_URL));
  const port = Number(target.port || (service === 'postgres' ? 5432 : 4222));
  const ok = await tcpReachable(target.hostname, port);
  if (!ok && servicesRequired) {
    throw new Error(`WEIR_REQUIRE_SERVICES=1 but ${service} is not reachable at ${target.hostname}:${port}`);
  }
  return ok;
}

/** A database of its own for one suite, so suites running in parallel never see each other's rows. */
export interface ThrowawayDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createThrowawayDatabase(prefix = 'weir_test'): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
