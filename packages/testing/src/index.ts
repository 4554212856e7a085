export {
  TEST_DATABASE_URL,
  TEST_NATS_URL,
  servicesRequired,
  tcpReachable,
  serviceAvailable,
  createThrowawayDatabase,
} from './services.js';
export type { ThrowawayDatabase } from './services.js';
export { ALERTMANAGER_BINARY, alertmanagerAvailable, freePort, startAlertmanager } from './alertmanager.js';
export type { RunningAlertmanager } from './alertmanager.js';
export { PROMETHEUS_BINARY, prometheusAvailable, startPrometheus } from './prometheus.js';
export type { RunningPrometheus, PrometheusSample, StartPrometheusOptions } from './prometheus.js';
export { eventually } from './eventually.js';
export { writeTestPacks } from './test-packs.js';
export type { TestPacks } from './test-packs.js';
