import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NatsBus } from '@weir/bus';
import { loadPacks, newId, silentLogger, type Clock, type LoadedPack } from '@weir/core';
import { SqlInventory, fleetDatabase, generateFleet } from '@weir/fleet';
import { ADMITTED_SUBJECT, PolicyEngine, REQUEST_SUBJECT, policyDatabase, type AdmittedRequestMessage, type PolicyRequestMessage } from '@weir/policy';
import { openStore, type SqlStore } from '@weir/store';
import { TEST_NATS_URL, createThrowawayDatabase, eventually, serviceAvailable, servicesRequired, type ThrowawayDatabase } from '@weir/testing';
import { PackRegistry } from '@weir/workflow';

const PACKS = fileURLToPath(new URL('../../../packs', import.meta.url));
const servicesUp = (await serviceAvailable('postgres')) && (await serviceAvailable('nats'));
if (!servicesUp && servicesRequired) throw new Error('PostgreSQL and NATS are required (WEIR_REQUIRE_SERVICES=1) but not reachable');
const describeWithServices = servicesUp ? describe : describe.skip;

const REPLICAS = 4;
const REQUESTS = 500;
const SITE_SIZE = 100;
const LIMIT = 10; // 10 % of 100

/**
 * One clock for every replica in this process, strictly increasing: reservation and release
 * instants never tie, so replaying them in time order is replaying them in the order they happened.
 */
function strictlyIncreasingClock(): Clock {
  let last = 0;
  return {
    now: () => (last = Math.max(Date.now(), last + 1)),
    setTimeout: (fn, ms) => ({ timer: setTimeout(fn, ms) }),
    clearTimeout: (handle) => clearTimeout(handle.timer as NodeJS.Timeout),
  };
}

async function testPacks(): Promise<{ dir: string; packs: LoadedPack[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-atomicity-'));
  await cp(join(PACKS, 'core'), join(dir, 'core'), { recursive: true });
  await mkdir(join(dir, 'capacity', 'workflows'), { recursive: true });
  await mkdir(join(dir, 'capacity', 'policies'), { recursive: true });
  await writeFile(join(dir, 'capacity', 'pack.yaml'), 'name: capacity\nversion: 0.1.0\ndescription: the atomicity test\n');
  await writeFile(
    join(dir, 'capacity', 'workflows', 'drain.yaml'),
    ['name: drain', 'input:', '  host: {type: string, required: true}', 'impact:', '  targets: "${{ [input.host] }}"', '  out_of_production: true', '  max_targets: 1', 'tasks:', '  work:', '    action: core.noop', ''].join('\n'),
  );
  await writeFile(join(dir, 'capacity', 'policies', 'site.yaml'), 'name: site\ngate: capacity\nsettings: {per: site, max_percent: 10}\n');
  const result = await loadPacks(dir);
  if (result.errors.length > 0) throw new Error(result.errors.map((e) => e.toString()).join('\n'));
  return { dir, packs: result.packs };
}

describeWithServices('atomic admission across policy engine replicas (real PostgreSQL and NATS)', () => {
  let database: ThrowawayDatabase;
  let packsDir: string;
  let packs: LoadedPack[];
  const stores: SqlStore[] = [];
  const buses: NatsBus[] = [];
  const engines: PolicyEngine[] = [];
  const namespace = `atom${process.pid}${Date.now().toString(36)}`;

  beforeAll(async () => {
    database = await createThrowawayDatabase();
    ({ dir: packsDir, packs } = await testPacks());
  });

  afterAll(async () => {
    for (const engine of engines) await engine.stop().catch(() => {});
    for (const bus of buses) await bus.close().catch(() => {});
    for (const store of stores) await store.close().catch(() => {});
    await database.drop();
    await rm(packsDir, { recursive: true, force: true });
  });

  it(`never has more than ${LIMIT} of ${SITE_SIZE} servers out with ${REPLICAS} replicas deciding ${REQUESTS} requests, and runs them all`, async () => {
    const setup = await openStore({ url: database.url });
    stores.push(setup);
    const db = policyDatabase(setup.db);
    expect((await setup.migrate()).error).toBeUndefined();
    const fleet = generateFleet({ sites: 1, serversPerSite: SITE_SIZE, seed: 7 });
    await new SqlInventory({ db: fleetDatabase(setup.db) }).upsert(fleet);
    const site = fleet.sites[0]?.name ?? '';
    const hosts = fleet.servers.map((s) => s.host);
    expect(hosts).toHaveLength(SITE_SIZE);

    const clock = strictlyIncreasingClock();
    const workflows = new PackRegistry(packs);
    for (let i = 0; i < REPLICAS; i++) {
      // Each replica has its own connections: they coordinate only through PostgreSQL.
      const store = await openStore({ url: database.url });
      stores.push(store);
      const bus = await NatsBus.connect({ url: TEST_NATS_URL, namespace, deadLetters: { record: async () => {} }, log: silentLogger });
      buses.push(bus);
      const engine = new PolicyEngine({ store, bus, inventory: new SqlInventory({ db: fleetDatabase(store.db) }), workflows, clock, replicaId: `replica-${i}`, handTimeoutMs: 600_000, recheckEveryMs: 2_000 });
      engine.setPacks(packs);
      engines.push(engine);
    }
    await Promise.all(engines.map((e) => e.start()));

    // A stand-in for the workflow engine: each admitted run takes a few milliseconds, then ends.
    const runnerBus = await NatsBus.connect({ url: TEST_NATS_URL, namespace, deadLetters: { record: async () => {} }, log: silentLogger });
    buses.push(runnerBus);
    const started = new Set<string>();
    await runnerBus.consume<AdmittedRequestMessage>({ name: 'fake-engine', subject: ADMITTED_SUBJECT, concurrency: 32 }, async (delivery) => {
      started.add(delivery.data.id);
      await delivery.ack();
      setTimeout(() => {
        void runnerBus.publish('weir.event.execution.finished', { executionId: delivery.data.id, workflow: delivery.data.workflow, status: 'succeeded' });
      }, 5 + Math.floor(Math.random() * 25));
    });

    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const id = newId();
        ids.push(id);
        const message: PolicyRequestMessage = {
          id,
          workflow: 'capacity.drain',
          parameters: { host: hosts[i % SITE_SIZE] },
          requester: 'test:atomicity',
          reason: 'atomicity test',
          source: 'api',
          priority: i % 3,
          traceId: newId(),
          requestedAt: Date.now(),
        };
        await runnerBus.publish(REQUEST_SUBJECT, message, { msgId: `request:${id}` });
      }),
    );

    const finished = await eventually(
      () => db.selectFrom('requests').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'finished').executeTakeFirst(),
      (row) => Number(row?.n) === REQUESTS,
      90_000,
    );
    expect(Number(finished?.n)).toBe(REQUESTS);
    expect(started.size).toBe(REQUESTS);

    // Replay every reservation and release in time order: the count out of production never passes the limit.
    const held = await db.selectFrom('reservations').select(['host', 'site', 'reserved_at', 'released_at']).execute();
    expect(held).toHaveLength(REQUESTS);
    expect(held.every((r) => r.site === site && r.released_at !== null)).toBe(true);
    const events = held.flatMap((r) => [
      { at: r.reserved_at.getTime(), delta: +1 },
      { at: (r.released_at as Date).getTime(), delta: -1 },
    ]);
    events.sort((a, b) => a.at - b.at || a.delta - b.delta);
    let out = 0;
    let peak = 0;
    for (const e of events) {
      out += e.delta;
      peak = Math.max(peak, out);
    }
    expect(out).toBe(0);
    expect(peak).toBeLessThanOrEqual(LIMIT);
    // The limit was reached: the test exercised contention, not a trickle.
    expect(peak).toBe(LIMIT);
    // Decisions came from every replica.
    const replicas = await db.selectFrom('decisions').select('replica').distinct().execute();
    expect(replicas.length).toBeGreaterThan(1);
    process.stdout.write(`atomicity: ${REQUESTS} requests, ${REPLICAS} replicas, peak ${peak} of limit ${LIMIT}; decisions by ${replicas.length} replicas\n`);
  }, 120_000);
});
