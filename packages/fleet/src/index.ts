/**
 * @weir/fleet: the fleet inventory (types and the `Inventory` port, in-memory and SQL adapters,
 * the `FleetService` that audits and announces changes), the
 * production-state machine, selections, inventory files (YAML/JSON/CSV), runner `fleet`
 * (`FleetTaskRunner`) and the fleet simulator.
 */
export { PRODUCTION_STATES, isProductionState } from './production-state.js';
export type { ProductionState } from './production-state.js';
export type {
  Site,
  Pool,
  ServerType,
  Server,
  ServerRecord,
  InventoryDocument,
  ServerUpsert,
  InventoryUpsert,
  UpsertResult,
  ServerQuery,
  SetStateRequest,
  StateChange,
  SetStateResult,
  StateChangeQuery,
  Inventory,
} from './inventory.js';
export { InMemoryInventory } from './in-memory-inventory.js';
export type { InMemoryInventoryOptions } from './in-memory-inventory.js';
export { SqlInventory } from './sql-inventory.js';
export type { SqlInventoryOptions } from './sql-inventory.js';
export { DEFAULT_UPSERT_BATCH_SIZE } from './sql-upsert.js';
export { fleetDatabase } from './fleet-tables.js';
export type {
  FleetTables,
  SitesTable,
  PoolsTable,
  ServerTypesTable,
  ServersTable,
  ServerStateChangesTable,
} from './fleet-tables.js';
export { planUpsert, poolKey, sameLabels } from './upsert-plan.js';
export type { UpsertPlan, ServerWrite, StoredInventoryFacts, StoredServerFacts } from './upsert-plan.js';
export { selectorCondition, globToLikePattern } from './selection-sql.js';
export { FleetService, SERVER_STATE_CHANGED } from './fleet-service.js';
export { FleetTaskRunner, FLEET_RUNNER } from './fleet-task-runner.js';
export type { FleetTaskRunnerOptions, SetStateOutput, SelectOutput } from './fleet-task-runner.js';
export type {
  FleetServiceOptions,
  SetStateOptions,
  ImportInventoryOptions,
  ExportInventoryOptions,
  ServerStateChangedEvent,
} from './fleet-service.js';
export { siteProblems, poolProblems, serverTypeProblems, serverProblems, labelProblems, isTimeZone, LABEL_NAME, LABEL_VALUE } from './inventory-rules.js';
export type { FieldProblem } from './inventory-rules.js';
export { productionStateMachine, planStateChange, allowedTransitions } from './production-state-machine.js';
export type {
  ActorRole,
  StateChangeActor,
  StateChangeEvent,
  StateChangeOptions,
  PlannedStateChange,
  RefusedStateChange,
} from './production-state-machine.js';
export {
  parseSelection,
  formatSelection,
  createServerMatcher,
  selectServers,
  globToRegExp,
  isGlob,
  SELECTION_KEYS,
} from './selection.js';
export type { ServerSelector } from './selection.js';
export { parseInventory, formatInventory, inventoryFormatOf } from './inventory-file.js';
export type { InventoryFormat, ParseInventoryOptions } from './inventory-file.js';
export { SERVER_CSV_COLUMNS, formatLabels, parseLabels } from './inventory-csv.js';
export {
  StateTransitionError,
  StateReasonRequiredError,
  SelectionError,
  InventoryFileError,
  InventoryInvalidError,
  InventoryConflictError,
  SimulatorOptionsError,
  SimulatorRequestError,
  SimulatedServerBusyError,
  SimulatedServerUnavailableError,
  formatInventoryIssue,
} from './errors.js';
export type { InventoryIssue } from './errors.js';
export { generateFleet, SIMULATED_ROLES } from './simulator/generate-fleet.js';
export type { GenerateFleetOptions } from './simulator/generate-fleet.js';
export { NAMED_SITES, siteAt } from './simulator/site-catalog.js';
export { SeededRandom } from './simulator/seeded-random.js';
export type { Seed } from './simulator/seeded-random.js';
export { dailyTrafficFactor, localHourOf, TROUGH_HOUR, PEAK_HOUR, DAILY_TROUGH } from './simulator/daily-traffic-curve.js';
export { TrafficModel } from './simulator/traffic-model.js';
export type { Surge, TrafficModelOptions } from './simulator/traffic-model.js';
export { FleetSimulator } from './simulator/fleet-simulator.js';
export type { SimulatedHealth, SimulatedServerView, RebootHandle, SiteTraffic, PatchResult, ConfigureResult } from './simulator/fleet-simulator.js';
export { compileFleetSimulatorOptions } from './simulator/fleet-simulator-options.js';
export type { FleetSimulatorOptions, CompiledFleetSimulatorOptions } from './simulator/fleet-simulator-options.js';
export type { SimulatedDisk } from './simulator/simulated-disks.js';
export type {
  SimulatorEvent,
  SimulatorListener,
  RebootOutcome,
  RebootStartedEvent,
  RebootCompletedEvent,
  DiskFailedEvent,
  HealthChangedEvent,
} from './simulator/simulator-events.js';
export { TicketDesk } from './simulator/ticket-desk.js';
export type { Ticket, TicketRequest } from './simulator/ticket-desk.js';
export { renderPrometheusText, PROMETHEUS_CONTENT_TYPE } from './simulator/prometheus-text.js';
export type { GaugeFamily, GaugeSample } from './simulator/prometheus-text.js';
export { startSimulatorServer } from './simulator/simulator-http-server.js';
export { startSimulatorWebhook } from './simulator/simulator-webhook.js';
export type { SimulatorWebhookOptions, SimulatorWebhook } from './simulator/simulator-webhook.js';
export type { SimulatorServerOptions, RunningSimulatorServer } from './simulator/simulator-http-server.js';
