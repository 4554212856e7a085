/**
 * @weir/bus: the two implementations of core's `Bus` port (DESIGN §2, §10).
 * `NatsBus` for distributed mode on NATS JetStream, `InProcessBus` for embedded mode.
 */
export { NatsBus } from './nats-bus.js';
export { compileNatsBusOptions } from './nats-bus-options.js';
export type { NatsBusOptions, CompiledNatsBusOptions } from './nats-bus-options.js';
export { NatsStreamTail } from './nats-stream-tail.js';
export type { StoredMessage, StreamBounds, StreamTailOptions } from './nats-stream-tail.js';
export { InProcessBus } from './in-process-bus.js';
export { compileInProcessBusOptions } from './in-process-bus-options.js';
export type { InProcessBusOptions, CompiledInProcessBusOptions } from './in-process-bus-options.js';
export { compileConsumerOptions } from './consumer-options.js';
export type { CompiledConsumerOptions } from './consumer-options.js';
export {
  NoStreamError,
  InvalidSubjectError,
  MessageEncodeError,
  InvalidConsumerError,
  BusClosedError,
  PublishError,
  BusSetupError,
} from './errors.js';
