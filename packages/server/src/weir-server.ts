import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ALL_ROLES, type Role } from './roles.js';
import { UserError, loadPacks, systemClock, type Bus, type ExecutionId, type Consumer, type LoadedPack, type Logger } from '@weir/core';
import { ExecutionRepository, PackRegistry, TaskLogRecorder, WorkflowEngine } from '@weir/workflow';
import { startRequestRunner } from './request-runner.js';
import { policyApi } from './policy-api.js';
import { PolicyControls, PolicyEngine } from '@weir/policy';
import { executionsApi } from './executions-api.js';
import { fleetApi } from './fleet-api.js';
import { RouteScopes } from './route-scopes.js';
import { FleetService, FleetTaskRunner, SqlInventory, fleetDatabase, generateFleet, type FleetSimulator } from '@weir/fleet';
import { EmbeddedSimulator } from './embedded-simulator.js';
import { RulesEngine } from '@weir/rules';
import { SensorsService, type SensorsConfig } from '@weir/sensors';
import { Worker, builtinRunners, staticPackResolver } from '@weir/worker';
import { InProcessBus, NatsBus } from '@weir/bus';
import { Datastore, appliedMigrations, openStore, readMigrations, type SqlStore } from '@weir/store';
import { Accounts, JetStreamEventHistory, ensureBootstrapAdmin, eventStreamPlugin } from '@weir/api';
import { ChatOpsService } from '@weir/chatops';
import { packsApi } from './packs-api.js';
import { triggersApi } from './triggers-api.js';
import { datastoreApi } from './datastore-api.js';
import { createHttpServer, type RegisteredRoute } from './http-server.js';
import { WeirMetrics } from './metrics.js';
import { compileWeirServerOptions, type CompiledWeirServerOptions, type WeirServerOptions } from './weir-server-options.js';

/** The webhook the embedded simulator posts its disk failures to (`fleet.disk_failed` triggers). */
const SIMULATOR_WEBHOOK = 'fleet-simulator';

/** How often expired datastore keys are deleted. */
const DATASTORE_SWEEP_MS = 60_000;

/** What a started process reports about its packs. */
export interface PackLoadSummary {
  loaded: string[];
  /** One line per error, `file:line:col (path): message [CODE]`. */
  errors: string[];
}

/**
 * The composition root: opens the store and the bus, loads packs and starts the roles asked for.
 * `stop()` shuts down in reverse order so no accepted work is lost: the HTTP listener stops taking
 * requests and finishes those in flight, then bus consumers settle what they hold, then the store closes.
 */
export class WeirServer {
  readonly options: CompiledWeirServerOptions;
  readonly metrics = new WeirMetrics();
  readonly log: Logger;
  private storeInstance: SqlStore | undefined;
  private busInstance: Bus | undefined;
  private http: FastifyInstance | undefined;
  private rules: RulesEngine | undefined;
  private sensors: SensorsService | undefined;
  private engineInstance: WorkflowEngine | undefined;
  private requestRunner: Consumer | undefined;
  private taskLogs: TaskLogRecorder | undefined;
  private readonly packRegistry = new PackRegistry();
  private worker: Worker | undefined;
  private loadedPacks: LoadedPack[] = [];
  private packSummary: PackLoadSummary = { loaded: [], errors: [] };
  private stopping: Promise<void> | undefined;
  private inventory: SqlInventory | undefined;
  private fleetService: FleetService | undefined;
  private fleetRunner: FleetTaskRunner | undefined;
  private chatops: ChatOpsService | undefined;
  private datastoreSweep: NodeJS.Timeout | undefined;
  private embeddedSimulator: EmbeddedSimulator | undefined;
  /** Bearer token of the simulator's webhook when the API is not on loopback. */
  private simulatorToken: string | undefined;
  private policyEngine: PolicyEngine | undefined;
  private policyControls: PolicyControls | undefined;
  private accountsInstance: Accounts | undefined;
  private bootstrapKey: string | undefined;
  private readonly registeredRoutes: RegisteredRoute[] = [];

  private constructor(options: CompiledWeirServerOptions) {
    this.options = options;
    this.log = options.log.child({ component: 'server' });
  }

  /** Starts a process with the given roles; on any failure, closes what it opened and rethrows. */
  static async start(options: WeirServerOptions): Promise<WeirServer> {
    const server = new WeirServer(compileWeirServerOptions(options));
    try {
      await server.boot();
      return server;
    } catch (error) {
      await server.stop().catch(() => {});
      throw error;
    }
  }

  get store(): SqlStore {
    if (!this.storeInstance) throw new UserError('SERVER_NOT_STARTED', 'the server has not opened its store');
    return this.storeInstance;
  }

  get bus(): Bus {
    if (!this.busInstance) throw new UserError('SERVER_NOT_STARTED', 'the server has not opened its bus');
    return this.busInstance;
  }

  /** The workflow engine of the `engine` role. */
  get engine(): WorkflowEngine {
    if (!this.engineInstance) throw new UserError('ROLE_NOT_RUNNING', 'this process does not play the engine role');
    return this.engineInstance;
  }

  /** The fleet's state changes, imports and exports, audited and announced on the bus. */
  get fleet(): FleetService {
    if (!this.fleetService) throw new UserError('SERVER_NOT_STARTED', 'the server has not opened its fleet inventory');
    return this.fleetService;
  }

  /** The policy engine's controls (explain, simulate, overrides, the stop): in api and policy processes. */
  get policy(): PolicyControls {
    if (!this.policyControls) throw new UserError('ROLE_NOT_RUNNING', 'this process plays neither the policy nor the api role');
    return this.policyControls;
  }

  /** Users, sessions, API keys, roles and bindings over this process's store. */
  get accounts(): Accounts {
    if (!this.accountsInstance) throw new UserError('SERVER_NOT_STARTED', 'the server has not opened its store');
    return this.accountsInstance;
  }

  /**
   * The first admin's API key, when THIS start created that admin (a store without any user and a
   * process with the api role); undefined otherwise. It is stored only as a hash: show it once.
   */
  get bootstrapApiKey(): string | undefined {
    return this.bootstrapKey;
  }

  /** Every route the API role registered (method, URL, declared permission), in order. */
  get routes(): readonly RegisteredRoute[] {
    return this.registeredRoutes;
  }

  /** The fleet simulator of embedded mode (`options.simulator`): inject failures through it. */
  get simulator(): FleetSimulator {
    if (!this.embeddedSimulator) throw new UserError('SIMULATOR_NOT_RUNNING', 'this process runs no fleet simulator');
    return this.embeddedSimulator.simulator;
  }

  /** `http://127.0.0.1:<port>` of the fleet simulator, when this process runs one. */
  get simulatorUrl(): string | undefined {
    return this.embeddedSimulator?.url;
  }

  get packs(): PackLoadSummary {
    return this.packSummary;
  }

  /** `http://host:port` of the API role, once listening. */
  get url(): string | undefined {
    const address = this.http?.server.address();
    if (!address || typeof address === 'string') return undefined;
    return `http://${address.address}:${address.port}`;
  }

  private async boot(): Promise<void> {
    const { options, log } = this;
    const embedded = options.databaseUrl === undefined && options.natsUrl === undefined;
    if (!options.natsUrl && !ALL_ROLES.every((role) => options.roles.includes(role))) {
      throw new UserError(
        'NATS_REQUIRED',
        `roles ${options.roles.join(',')} run apart from the others and need a shared bus: set WEIR_NATS_URL (the in-process bus only serves a process with every role)`,
      );
    }

    this.storeInstance = await openStore(
      options.databaseUrl ? { url: options.databaseUrl } : { dataDir: options.dataDir },
    );
    await this.storeInstance.ping();
    await this.migrate();
    this.accountsInstance = new Accounts({ ...options.accounts, store: this.storeInstance, clock: options.clock, log: options.log.child({ component: 'accounts' }) });
    if (options.roles.includes('api')) await this.bootstrapAdmin(this.accountsInstance);

    const deadLetters = {
      record: async (letter: Parameters<SqlStore['deadLetters']['insert']>[0]) => {
        this.metrics.deadLetters.inc({ consumer: letter.consumer });
        log.warn({ subject: letter.subject, consumer: letter.consumer, reason: letter.reason }, 'message dead-lettered');
        await this.store.deadLetters.insert(letter);
      },
    };
    this.busInstance = options.natsUrl
      ? await NatsBus.connect({ url: options.natsUrl, namespace: options.busNamespace, deadLetters, log: options.log })
      : new InProcessBus({ deadLetters, clock: options.clock });

    this.inventory = new SqlInventory({ db: fleetDatabase(this.store.db), clock: options.clock });
    this.fleetService = new FleetService({ inventory: this.inventory, audit: this.store.audit, bus: this.bus, clock: options.clock, log: options.log });
    if (options.seedFleet) await this.seedFleet(this.inventory);
    if (options.simulator) {
      this.embeddedSimulator = await EmbeddedSimulator.start({ settings: options.simulator, fleet: this.fleetService, bus: this.bus, clock: options.clock, log: options.log });
    }

    await this.loadPacks();
    await this.startRoles();

    if (options.roles.includes('api')) {
      const http = await createHttpServer({
        host: options.http.host,
        port: options.http.port,
        metrics: this.metrics,
        log: options.log.child({ component: 'http' }),
        health: [
          { name: 'store', check: () => this.store.ping() },
        ],
        info: { mode: embedded ? 'embedded' : 'distributed', roles: options.roles, store: this.store.dialect, bus: options.natsUrl ? 'nats' : 'in-process' },
        routes: this.registeredRoutes,
        auth: { accounts: this.accounts, store: this.store, openPaths: options.openPaths, clock: options.clock },
      });
      // Webhooks are served by a process that plays both api and sensors.
      if (this.sensors) await http.register(this.sensors.webhookPlugin());
      const scopes = new RouteScopes({ engine: this.engineInstance, policy: this.policyControls });
      if (this.engineInstance && this.taskLogs) await http.register(executionsApi({ engine: this.engineInstance, taskLogs: this.taskLogs, scopes }));
      if (this.policyControls) await http.register(policyApi({ controls: this.policyControls, bus: this.bus, clock: options.clock, scopes }));
      await http.register(fleetApi({ inventory: this.inventory, fleet: this.fleetService }));
      const lastLoad = () => this.packs;
      const apiLog = options.log.child({ component: 'http' });
      await http.register(packsApi({ packs: this.store.packs, lastLoad, reload: () => this.loadPacks(), log: apiLog }));
      await http.register(triggersApi({ packs: this.store.packs, lastLoad, triggers: this.store.triggers, db: this.store.db, log: apiLog }));
      const datastore = new Datastore({ db: this.store.db, encryptionKey: options.datastoreKey, clock: options.clock });
      await http.register(datastoreApi({ datastore, log: apiLog }));
      // Reads already hide expired keys; this reclaims their rows (every api replica may; the delete is idempotent).
      this.datastoreSweep = setInterval(() => {
        datastore.sweepExpired().catch((error: unknown) => log.warn({ err: error }, 'datastore sweep failed'));
      }, DATASTORE_SWEEP_MS);
      this.datastoreSweep.unref();
      const executions = new ExecutionRepository(this.store);
      const workflowOf = async (id: string) => (await executions.get(id as ExecutionId))?.workflow;
      await http.register(
        eventStreamPlugin({
          store: this.store,
          bus: this.bus,
          // JetStream keeps the events with their order: streams read WEIR_EVENTS, and nothing is
          // copied into event_log on the events' way through. The in-process bus keeps no history.
          history: this.bus instanceof NatsBus ? new JetStreamEventHistory({ source: this.bus, workflowOf, log: apiLog }) : undefined,
          log: apiLog,
          // Batch flushes, polls and heartbeats pace I/O: a simulated clock would stall them.
          clock: systemClock,
          retentionMs: options.eventRetentionMs,
          workflowOf,
        }),
      );
      this.http = http;
      await http.listen({ host: options.http.host, port: options.http.port });
      // The simulator's disk failures come back through the webhook the sensors serve here.
      if (this.embeddedSimulator && this.sensors) {
        const headers: Record<string, string> = this.simulatorToken ? { authorization: `Bearer ${this.simulatorToken}` } : {};
        this.embeddedSimulator.sendEventsTo({ url: `${this.url}/webhooks/${SIMULATOR_WEBHOOK}`, headers, log: options.log });
      }
    }
    for (const role of options.roles) this.metrics.up.set({ role }, 1);
    log.info({ roles: options.roles, url: this.url, store: this.store.dialect, bus: options.natsUrl ? 'nats' : 'in-process' }, 'weir started');
  }

  /**
   * A store without any user gets its first admin and a one-time key (kept for `bootstrapApiKey`);
   * replicas racing on an empty store create one between them.
   */
  private async bootstrapAdmin(accounts: Accounts): Promise<void> {
    const result = await ensureBootstrapAdmin({ store: this.store, accounts, password: this.options.adminPassword });
    if (!result.created) return;
    this.bootstrapKey = result.apiKey;
    this.log.info({ user: result.user.name, api_key_id: result.apiKeyId, password: this.options.adminPassword !== undefined }, 'first admin created');
  }

  /** Embedded mode's demo fleet (`fleetSeed`: 3 sites × 20 servers, the same every time), only into an empty inventory. */
  private async seedFleet(inventory: SqlInventory): Promise<void> {
    const [sites, servers] = await Promise.all([inventory.listSites(), inventory.listServers({ limit: 1 })]);
    if (sites.length > 0 || servers.length > 0) return;
    const result = await inventory.upsert(generateFleet(this.options.fleetSeed));
    this.log.info({ created: result.created }, 'simulated fleet seeded');
  }

  /** Starts the roles that consume from the bus; each shares a durable consumer with its replicas. */
  private async startRoles(): Promise<void> {
    const { options } = this;
    if (options.roles.includes('worker')) {
      this.worker = new Worker({
        bus: this.bus,
        packs: staticPackResolver(this.loadedPacks),
        runners: builtinRunners(options.worker.runners),
        concurrency: options.worker.concurrency,
        ackTimeoutMs: options.worker.ackTimeoutMs,
        clock: options.clock,
        log: options.log.child({ component: 'worker' }),
      });
      await this.worker.start();
    }
    if (options.roles.includes('engine')) {
      this.engineInstance = new WorkflowEngine({
        store: this.store,
        bus: this.bus,
        packs: this.packRegistry,
        // `kv.<key>` in workflow expressions; read only for workflows that name kv.
        datastore: new Datastore({ db: this.store.db, encryptionKey: options.datastoreKey, clock: options.clock }),
        leaseMs: options.engine.leaseMs,
        recoverEveryMs: options.engine.recoverEveryMs,
        clock: options.clock,
        log: options.log, // binds its own component
      });
      await this.engineInstance.start();
      this.taskLogs = new TaskLogRecorder({ store: this.store, bus: this.bus, log: options.log.child({ component: 'task-logs' }) });
      await this.taskLogs.start();
      // Runner fleet needs the inventory, which workers do not have: the engine role serves it.
      this.fleetRunner = new FleetTaskRunner({ bus: this.bus, fleet: this.fleet, inventory: this.inventory as SqlInventory, ackTimeoutMs: options.worker.ackTimeoutMs, clock: options.clock, log: options.log });
      await this.fleetRunner.start();
      this.requestRunner = await startRequestRunner({ bus: this.bus, engine: this.engineInstance, log: options.log.child({ component: 'requests' }) });
    }
    if (options.roles.includes('policy') || options.roles.includes('api')) {
      const consume = options.roles.includes('policy');
      this.policyEngine = new PolicyEngine({
        store: this.store,
        bus: this.bus,
        inventory: this.inventory as SqlInventory,
        workflows: this.packRegistry,
        sink: this.metrics.policy,
        consume,
        clock: options.clock,
        log: options.log.child({ component: 'policy' }),
        ...definedOnly(options.policy),
      });
      this.policyEngine.setPacks(this.loadedPacks);
      this.policyControls = new PolicyControls(this.policyEngine);
      if (consume) await this.policyEngine.start();
    }
    if (options.roles.includes('sensors')) {
      this.sensors = new SensorsService({
        bus: this.bus,
        store: this.store,
        packs: this.loadedPacks,
        clock: options.clock,
        log: options.log, // binds its own component
        metrics: this.metrics.sensors,
        config: this.sensorsConfig(),
      });
      await this.sensors.start();
    }
    if (options.roles.includes('rules')) {
      this.rules = new RulesEngine({
        store: this.store,
        bus: this.bus,
        rules: this.loadedPacks,
        recordTriggers: options.triggersStoredBy === 'rules',
        metrics: this.metrics.sensors,
        clock: options.clock,
        log: options.log, // binds its own component
      });
      await this.rules.start();
    }
    if (options.roles.includes('chatops') && options.slack) {
      // Needs the engine (approvals) and the policy controls (requests, explain, the stop) in this process.
      this.chatops = new ChatOpsService({
        bus: this.bus,
        store: this.store,
        accounts: this.accounts,
        policy: this.policy,
        approvals: this.engine,
        fleet: this.fleet,
        inventory: this.inventory as SqlInventory,
        packs: this.loadedPacks,
        slack: options.slack,
        clock: options.clock,
        log: options.log,
      });
      await this.chatops.start();
      // Notification routes the app could not take are pack errors, like those of later reloads.
      const chatErrors = this.chatops.notificationErrors.map((error) => error.toString());
      for (const line of chatErrors) this.log.warn({ error: line }, 'pack error');
      this.packSummary = { ...this.packSummary, errors: [...this.packSummary.errors, ...chatErrors] };
      this.metrics.packErrors.set(this.packSummary.errors.length);
    }
  }

  /**
   * The configured sensors, plus a default Alertmanager receiver: without credentials only while the
   * API listens on loopback, where nothing off this machine can reach it.
   */
  private sensorsConfig(): SensorsConfig {
    const config = { ...(this.options.sensors as SensorsConfig) };
    const loopback = ['127.0.0.1', '::1', 'localhost'].includes(this.options.http.host);
    if (config.alertmanager === undefined && loopback) config.alertmanager = { auth: { kind: 'none' } };
    if (this.embeddedSimulator) {
      // Only the simulator in this process posts here: a fresh token each start when the API is reachable from elsewhere.
      this.simulatorToken = loopback ? undefined : randomBytes(24).toString('hex');
      const auth = this.simulatorToken ? { kind: 'token' as const, token: this.simulatorToken } : { kind: 'none' as const };
      config.webhooks = [...(config.webhooks ?? []), { name: SIMULATOR_WEBHOOK, triggerType: 'fleet.disk_failed', auth }];
    }
    config.recorder = { retention: this.options.triggerRetentionMs, ...config.recorder, consume: this.options.triggersStoredBy === 'recorder' };
    return config;
  }

  /**
   * Embedded mode migrates itself; a distributed process refuses to start on a database with
   * pending migrations (several versions may be rolling out at once), naming them and the fix.
   */
  private async migrate(): Promise<void> {
    if (!this.options.autoMigrate) {
      const done = new Set((await appliedMigrations(this.store.db)).map((m) => m.name));
      const pending = (await readMigrations()).filter((m) => !done.has(m.name)).map((m) => m.name);
      if (pending.length > 0) {
        throw new UserError(
          'MIGRATIONS_PENDING',
          `the database has ${pending.length} pending migration(s) (${pending.join(', ')}): run 'weir migrate' with the same WEIR_DATABASE_URL first`,
        );
      }
      return;
    }
    const result = await this.store.migrate();
    if (result.applied.length > 0) this.log.info({ applied: result.applied }, 'migrations applied');
    if (result.error) {
      throw new UserError('MIGRATION_FAILED', `migration ${result.error.migration} failed: ${result.error.message}`);
    }
  }

  /** The packs' configuration: the options' values, and fleet's endpoint at the embedded simulator unless given. */
  private packConfig(): Record<string, Record<string, unknown>> {
    const config: Record<string, Record<string, unknown>> = { ...this.options.packConfig };
    if (this.embeddedSimulator) config.fleet = { endpoint: this.embeddedSimulator.url, ...config.fleet };
    return config;
  }

  /** Loads every pack under packsDir; packs with errors are reported and left out, the rest stored. */
  async loadPacks(): Promise<PackLoadSummary> {
    const result = await loadPacks(this.options.packsDir, { config: this.packConfig() });
    const errors = result.errors.map((e) => e.toString());
    for (const line of errors) this.log.warn({ error: line }, 'pack error');
    const loaded: string[] = [];
    for (const pack of result.packs) {
      await this.store.packs.save({
        name: pack.name,
        version: pack.version,
        description: pack.description,
        contentHash: pack.contentHash,
        // The definitions as written; pack.config is this process's setting and may hold secrets.
        definition: { ...pack, config: undefined },
        loadedAt: this.options.clock.now(),
      });
      loaded.push(`${pack.name}@${pack.version}`);
    }
    this.loadedPacks = result.packs;
    // Every version stays resolvable: running executions keep the definition they pinned.
    for (const pack of result.packs) this.packRegistry.add(pack);
    this.rules?.reload(result.packs);
    // Aliases and notification routes the chat app could not take are pack errors like any other.
    for (const error of (await this.chatops?.reloadPacks(result.packs)) ?? []) errors.push(error.toString());
    for (const line of this.policyEngine?.setPacks(result.packs) ?? []) errors.push(line);
    await this.sensors?.reloadPacks(result.packs);
    this.metrics.packsLoaded.set(loaded.length);
    this.metrics.packErrors.set(errors.length);
    this.packSummary = { loaded, errors };
    this.log.info({ packs: loaded, errors: errors.length }, 'packs loaded');
    return this.packSummary;
  }

  /** Idempotent, ordered shutdown. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.log.info({}, 'weir stopping');
    // Producers first, then consumers: each finishes what it holds before the bus closes.
    if (this.datastoreSweep) clearInterval(this.datastoreSweep);
    await this.http?.close();
    await this.chatops?.stop();
    await this.sensors?.stop();
    await this.rules?.stop();
    await this.policyEngine?.stop();
    await this.requestRunner?.stop();
    await this.engineInstance?.stop();
    await this.fleetRunner?.stop();
    await this.taskLogs?.stop();
    await this.worker?.stop();
    await this.embeddedSimulator?.stop();
    await this.busInstance?.close();
    await this.storeInstance?.close();
    this.log.info({}, 'weir stopped');
  }
}

/** The keys of an options object whose value is set (so the callee's defaults apply to the rest). */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
