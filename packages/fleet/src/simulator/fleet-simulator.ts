/**
 * The fleet simulator (DESIGN §7): per-site traffic, connections per server (drained by the load
 * balancer when a server leaves production), reboots with seeded durations and outcomes, injected
 * disk failures and failing health checks. Everything is computed from the injected clock; the
 * only timers are reboot completions, so a `SimulatedClock` makes every test instant and exact.
 *
 * The simulator knows production states only as it is told (`setProductionState`): the inventory
 * stays the source of truth, and the composition root forwards its state-change events here.
 */
import { NotFoundError, type Clock, type Logger, type TimerHandle } from '@weir/core';
import { SimulatedServerBusyError, SimulatedServerUnavailableError, SimulatorOptionsError, SimulatorRequestError } from '../errors.js';
import type { Server } from '../inventory.js';
import type { ProductionState } from '../production-state.js';
import { compileFleetSimulatorOptions, type CompiledFleetSimulatorOptions, type FleetSimulatorOptions } from './fleet-simulator-options.js';
import { renderPrometheusText, type GaugeFamily } from './prometheus-text.js';
import { SeededRandom } from './seeded-random.js';
import { disksFor, type SimulatedDisk } from './simulated-disks.js';
import type { DiskFailedEvent, RebootOutcome, SimulatorEvent, SimulatorListener } from './simulator-events.js';
import { TicketDesk } from './ticket-desk.js';
import { TrafficModel, type Surge } from './traffic-model.js';

/** Health as an agent's health endpoint reports it. */
export interface SimulatedHealth {
  status: 'healthy' | 'failing' | 'unreachable';
  reason: string | undefined;
  checks: { agent: 'ok' | 'unreachable'; services: 'ok' | 'failing'; disks: 'ok' | 'degraded' };
}

/** What `GET /servers/:host` shows: power, health, connections and disks of one server. */
export interface SimulatedServerView {
  host: string;
  site: string;
  pool: string;
  type: string;
  productionState: ProductionState;
  power: 'on' | 'rebooting';
  /** The OS answers (false while rebooting and after a stuck reboot). */
  up: boolean;
  health: SimulatedHealth;
  connections: number;
  bootCount: number;
  /** When the last reboot started, if ever. */
  lastRebootAt: number | undefined;
  disks: SimulatedDisk[];
  /** The last release installed by `patch` (undefined: never patched here). */
  release: string | undefined;
  /** A patch was installed and is active only after the next reboot. */
  rebootRequired: boolean;
  /** The last configuration version applied by `configure`. */
  configVersion: string | undefined;
}

/** What `patch` answers: the release installed, waiting for a reboot to take effect. */
export interface PatchResult {
  host: string;
  release: string;
  rebootRequired: true;
  patchedAt: number;
}

/** What `configure` answers: the configuration version now applied. */
export interface ConfigureResult {
  host: string;
  configVersion: string;
  configuredAt: number;
}

/** A reboot as accepted: when it started and how long it will take. */
export interface RebootHandle {
  host: string;
  startedAt: number;
  durationMs: number;
}

/** Traffic and connections of one site right now. */
export interface SiteTraffic {
  site: string;
  rps: number;
  connections: number;
}

interface SimServer {
  readonly server: Server;
  readonly weight: number;
  productionState: ProductionState;
  power: 'on' | 'rebooting';
  up: boolean;
  failure: { reason: string; persistent: boolean } | undefined;
  disks: SimulatedDisk[] | undefined;
  drain: { since: number; connections: number } | undefined;
  reboot: { timer: TimerHandle; startedAt: number } | undefined;
  lastRebootAt: number | undefined;
  bootCount: number;
  forcedOutcomes: RebootOutcome[];
  /** Reasons the BMC gives for refusing the next power cycles (`refuseNextReboot`), in order. */
  refusals: string[];
  /** Connections that never close while draining (`holdConnections`). */
  held: number;
  release: string | undefined;
  rebootRequired: boolean;
  configVersion: string | undefined;
}

/** A simulated fleet; construct with `new FleetSimulator({ fleet, clock, seed })` and `stop()` when done. */
export class FleetSimulator {
  /** The datacenter ticket queue behind `POST /tickets`. */
  readonly tickets: TicketDesk;
  private readonly options: CompiledFleetSimulatorOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly traffic: TrafficModel;
  private readonly servers = new Map<string, SimServer>();
  private readonly bySite = new Map<string, SimServer[]>();
  private readonly listeners = new Set<SimulatorListener>();

  constructor(options: FleetSimulatorOptions) {
    this.options = compileFleetSimulatorOptions(options);
    this.clock = this.options.clock;
    this.log = this.options.log.child({ component: 'fleet-simulator' });
    this.tickets = new TicketDesk(this.clock);
    const { fleet, seed } = this.options;
    for (const site of fleet.sites) this.bySite.set(site.name, []);
    for (const server of fleet.servers) {
      if (!this.bySite.has(server.site)) {
        throw new SimulatorOptionsError('fleet', `server ${server.host} is in site ${server.site}, which the fleet's sites do not list`);
      }
      const sim: SimServer = {
        server: { ...server, labels: { ...server.labels } },
        weight: 0.9 + 0.2 * new SeededRandom(seed, 'weight', server.host).next(),
        productionState: server.state,
        power: 'on',
        up: true,
        failure: undefined,
        disks: undefined,
        drain: undefined,
        reboot: undefined,
        lastRebootAt: undefined,
        bootCount: 0,
        forcedOutcomes: [],
        refusals: [],
        held: 0,
        release: undefined,
        rebootRequired: false,
        configVersion: undefined,
      };
      this.servers.set(server.host, sim);
      this.bySite.get(server.site)?.push(sim);
    }
    this.traffic = new TrafficModel({
      clock: this.clock,
      sites: fleet.sites.map((site) => ({
        site,
        // Demand scales with the site's size, ±20 % per site so sites differ.
        peakRps:
          this.options.peakRpsPerServer * (this.bySite.get(site.name)?.length ?? 0) * (0.8 + 0.4 * new SeededRandom(seed, 'site-rps', site.name).next()),
      })),
    });
    if (this.options.onEvent) this.listeners.add(this.options.onEvent);
  }

  /** Receives every event from now on; returns the unsubscribe function. */
  subscribe(listener: SimulatorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: SimulatorEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A broken listener (a test assertion, a bus publish) must not stop the simulation.
        this.log.warn({ err: error, event: event.type }, 'simulator listener failed');
      }
    }
  }

  private get(host: string): SimServer {
    const sim = this.servers.get(host);
    if (!sim) throw new NotFoundError('server', host);
    return sim;
  }

  /** Hosts of the simulated fleet, in fleet order. */
  hosts(): string[] {
    return [...this.servers.keys()];
  }

  /** Requests per second and connections of `site` now. */
  siteTraffic(site: string): SiteTraffic {
    const rps = this.traffic.rps(site);
    const connections = this.siteConnections(site, rps).reduce((sum, [, c]) => sum + c, 0);
    return { site, rps, connections };
  }

  /** Multiplies `site`'s traffic by `factor` for `durationMs` from now. */
  surge(site: string, factor: number, durationMs: number): Surge {
    const surge = this.traffic.surge(site, factor, durationMs);
    this.log.info({ site, factor, duration_ms: durationMs }, 'traffic surge started');
    return surge;
  }

  /** Connections per server of a site, the site's serving weight computed once. */
  private siteConnections(site: string, rps: number): Array<[SimServer, number]> {
    const members = this.bySite.get(site) ?? [];
    const serving = (s: SimServer): boolean => s.productionState === 'in_production' && s.up && s.failure === undefined;
    const weight = members.reduce((sum, s) => sum + (serving(s) ? s.weight : 0), 0);
    const demand = rps * this.options.connectionSeconds;
    const now = this.clock.now();
    return members.map((s) => {
      if (!s.up) return [s, 0];
      if (serving(s)) return [s, Math.round((demand * s.weight) / weight)];
      if (s.productionState === 'draining' && s.drain) {
        const decayed = s.drain.connections * 0.5 ** ((now - s.drain.since) / this.options.drainHalfLifeMs);
        const left = Math.max(decayed, s.held);
        return [s, left < 1 ? 0 : Math.round(left)];
      }
      return [s, 0];
    });
  }

  private connectionsOf(sim: SimServer): number {
    const site = sim.server.site;
    const entry = this.siteConnections(site, this.traffic.rps(site)).find(([s]) => s === sim);
    return entry ? entry[1] : 0;
  }

  /** Tells the simulator a server's production state changed; a drain starts its connections decaying. */
  setProductionState(host: string, state: ProductionState): void {
    const sim = this.get(host);
    if (state === sim.productionState) return;
    sim.drain = state === 'draining' ? { since: this.clock.now(), connections: this.connectionsOf(sim) } : undefined;
    sim.productionState = state;
  }

  private health(sim: SimServer): SimulatedHealth {
    const disks = sim.disks?.some((d) => d.status === 'failed') ? 'degraded' : 'ok';
    if (!sim.up) {
      const reason = sim.power === 'rebooting' ? 'rebooting' : 'no answer since the last reboot';
      return { status: 'unreachable', reason, checks: { agent: 'unreachable', services: 'failing', disks } };
    }
    if (sim.failure) return { status: 'failing', reason: sim.failure.reason, checks: { agent: 'ok', services: 'failing', disks } };
    return { status: 'healthy', reason: undefined, checks: { agent: 'ok', services: 'ok', disks } };
  }

  /** Everything the simulator knows about one server now. */
  server(host: string): SimulatedServerView {
    const sim = this.get(host);
    return {
      host: sim.server.host,
      site: sim.server.site,
      pool: sim.server.pool,
      type: sim.server.type,
      productionState: sim.productionState,
      power: sim.power,
      up: sim.up,
      health: this.health(sim),
      connections: this.connectionsOf(sim),
      bootCount: sim.bootCount,
      lastRebootAt: sim.lastRebootAt,
      disks: this.disksOf(sim).map((d) => ({ ...d })),
      release: sim.release,
      rebootRequired: sim.rebootRequired,
      configVersion: sim.configVersion,
    };
  }

  /** The disks of one server, by slot. */
  disks(host: string): SimulatedDisk[] {
    return this.disksOf(this.get(host)).map((d) => ({ ...d }));
  }

  /**
   * Keeps `connections` open on a draining server however long it drains (clients that never
   * reconnect): for drain-timeout tests. 0 lets it drain again.
   */
  holdConnections(host: string, connections: number): void {
    if (!Number.isInteger(connections) || connections < 0) throw new SimulatorRequestError(host, `held connections must be a whole number ≥ 0, got ${connections}`);
    this.get(host).held = connections;
  }

  /** Makes the BMC refuse `host`'s next power cycle with `reason` (`FLEET_SIM_UNAVAILABLE`, HTTP 503): for failure-branch tests. */
  refuseNextReboot(host: string, reason = 'BMC not responding'): void {
    this.get(host).refusals.push(reason);
  }

  /**
   * Installs updates through the host agent (as `apt upgrade` would): the release is recorded and
   * takes effect at the next reboot. The agent must answer: `FLEET_SIM_UNAVAILABLE` while the server
   * is down, `FLEET_SIM_SERVER_BUSY` while it reboots.
   */
  patch(host: string, options: { release: string }): PatchResult {
    const sim = this.reachable(host);
    sim.release = options.release;
    sim.rebootRequired = true;
    this.log.info({ host, release: options.release }, 'simulated patch installed');
    return { host, release: options.release, rebootRequired: true, patchedAt: this.clock.now() };
  }

  /** Applies a configuration version through the host agent, at once; the agent must answer, as for `patch`. */
  configure(host: string, options: { version: string }): ConfigureResult {
    const sim = this.reachable(host);
    sim.configVersion = options.version;
    this.log.info({ host, config_version: options.version }, 'simulated configuration applied');
    return { host, configVersion: options.version, configuredAt: this.clock.now() };
  }

  /** A server whose agent answers now. */
  private reachable(host: string): SimServer {
    const sim = this.get(host);
    if (sim.reboot) throw new SimulatedServerBusyError(host, 'rebooting');
    if (!sim.up) throw new SimulatedServerUnavailableError(host, 'the host agent does not answer');
    return sim;
  }

  /** The health endpoint's answer for one server. */
  healthOf(host: string): SimulatedHealth {
    return this.health(this.get(host));
  }

  /** Makes a server fail its health checks; a reboot clears it unless `persistent`. */
  failHealth(host: string, reason: string, options: { persistent?: boolean } = {}): void {
    const sim = this.get(host);
    const was = sim.failure;
    sim.failure = { reason, persistent: options.persistent ?? false };
    if (!was) this.emitHealth(sim);
  }

  /** Makes a server pass its health checks again. */
  restoreHealth(host: string): void {
    const sim = this.get(host);
    if (!sim.failure) return;
    sim.failure = undefined;
    this.emitHealth(sim);
  }

  private emitHealth(sim: SimServer): void {
    const { host, site } = sim.server;
    const status = sim.failure ? 'failing' : 'healthy';
    this.emit({ type: 'health_changed', host, site, at: this.clock.now(), status, reason: sim.failure?.reason });
  }

  /** Decides the outcome of `host`'s next reboot(s), in order, instead of the seeded draw: for failure-branch tests. */
  failNextReboot(host: string, outcome: Exclude<RebootOutcome, 'up'>): void {
    this.get(host).forcedOutcomes.push(outcome);
  }

  /**
   * Starts a reboot (as a BMC power cycle would): the server drops off at once and comes back after
   * a seeded log-normal duration, `up`, `stuck` or `unhealthy`. Throws `FLEET_SIM_SERVER_BUSY` while one runs.
   */
  reboot(host: string): RebootHandle {
    const sim = this.get(host);
    if (sim.reboot) throw new SimulatedServerBusyError(host, 'already rebooting');
    const refusal = sim.refusals.shift();
    if (refusal !== undefined) throw new SimulatedServerUnavailableError(host, `the BMC refused the power cycle: ${refusal}`);
    // A stream per host and boot: outcomes do not depend on what other servers did first.
    const random = new SeededRandom(this.options.seed, 'reboot', host, sim.bootCount);
    const durationMs = Math.max(this.options.rebootMinimumMs, Math.round(random.logNormal(this.options.rebootMedianMs, this.options.rebootSpread)));
    const draw = random.next();
    const p = this.options.rebootFailureProbability;
    const outcome: RebootOutcome = sim.forcedOutcomes.shift() ?? (draw < p / 2 ? 'stuck' : draw < p ? 'unhealthy' : 'up');
    const startedAt = this.clock.now();
    sim.power = 'rebooting';
    sim.up = false;
    sim.drain = undefined;
    sim.lastRebootAt = startedAt;
    sim.reboot = { startedAt, timer: this.clock.setTimeout(() => this.finishReboot(sim, outcome, durationMs), durationMs) };
    const { site } = sim.server;
    this.log.info({ host, duration_ms: durationMs }, 'simulated reboot started');
    this.emit({ type: 'reboot_started', host, site, at: startedAt, durationMs });
    return { host, startedAt, durationMs };
  }

  private finishReboot(sim: SimServer, outcome: RebootOutcome, durationMs: number): void {
    const hadFailure = sim.failure !== undefined;
    sim.reboot = undefined;
    sim.power = 'on';
    sim.bootCount++;
    sim.rebootRequired = false;
    sim.up = outcome !== 'stuck';
    if (outcome === 'unhealthy') sim.failure = { reason: 'services failed to start after reboot', persistent: false };
    else if (sim.failure && !sim.failure.persistent) sim.failure = undefined;
    const { host, site } = sim.server;
    this.emit({ type: 'reboot_completed', host, site, at: this.clock.now(), outcome, durationMs });
    if (sim.up && hadFailure !== (sim.failure !== undefined)) this.emitHealth(sim);
  }

  private disksOf(sim: SimServer): SimulatedDisk[] {
    // Disks are drawn on first use: a 20,000-server fleet does not build 100,000 disk records up front.
    sim.disks ??= disksFor(sim.server.host, sim.server.type, this.options.seed);
    return sim.disks;
  }

  /** Fails a disk (`slot`, or a seeded pick among the healthy ones) and emits `disk_failed`. */
  failDisk(host: string, options: { slot?: number } = {}): DiskFailedEvent {
    const sim = this.get(host);
    const disks = this.disksOf(sim);
    const healthy = disks.filter((d) => d.status === 'ok');
    let disk: SimulatedDisk | undefined;
    if (options.slot !== undefined) {
      disk = disks.find((d) => d.slot === options.slot);
      if (!disk) throw new SimulatorRequestError(host, `has no disk slot ${options.slot} (slots 0-${disks.length - 1})`);
      if (disk.status === 'failed') throw new SimulatorRequestError(host, `disk in slot ${options.slot} has already failed`);
    } else {
      const [first, ...rest] = healthy;
      if (!first) throw new SimulatorRequestError(host, 'every disk has already failed');
      disk = new SeededRandom(this.options.seed, 'disk-failure', host, healthy.length).pick([first, ...rest]);
    }
    disk.status = 'failed';
    const event: DiskFailedEvent = {
      type: 'disk_failed',
      host,
      site: sim.server.site,
      at: this.clock.now(),
      slot: disk.slot,
      serial: disk.serial,
      model: disk.model,
    };
    this.log.info({ host, slot: disk.slot, serial: disk.serial }, 'simulated disk failure');
    this.emit(event);
    return { ...event };
  }

  /** The simulator's metrics in Prometheus text format, computed now. */
  metrics(): string {
    const rps: GaugeFamily = { name: 'weir_sim_site_traffic_rps', help: 'Simulated requests per second at a site.', samples: [] };
    const siteConnections: GaugeFamily = { name: 'weir_sim_site_connections', help: 'Open connections across a site.', samples: [] };
    const up: GaugeFamily = { name: 'weir_sim_server_up', help: '1 when the server answers, 0 while rebooting or stuck.', samples: [] };
    const connections: GaugeFamily = { name: 'weir_sim_server_connections', help: 'Open connections on a server.', samples: [] };
    for (const site of this.traffic.siteNames()) {
      const siteRps = this.traffic.rps(site);
      const perServer = this.siteConnections(site, siteRps);
      rps.samples.push({ labels: { site }, value: Math.round(siteRps * 100) / 100 });
      siteConnections.samples.push({ labels: { site }, value: perServer.reduce((sum, [, c]) => sum + c, 0) });
      for (const [sim, c] of perServer) {
        up.samples.push({ labels: { host: sim.server.host, site }, value: sim.up ? 1 : 0 });
        connections.samples.push({ labels: { host: sim.server.host, site }, value: c });
      }
    }
    return renderPrometheusText([rps, siteConnections, up, connections]);
  }

  /** Cancels pending reboot completions (servers mid-reboot stay down): call it when a test or demo ends. */
  stop(): void {
    for (const sim of this.servers.values()) {
      if (sim.reboot) this.clock.clearTimeout(sim.reboot.timer);
      sim.reboot = undefined;
    }
  }
}
