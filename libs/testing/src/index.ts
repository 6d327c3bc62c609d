// Public API of the testing library: the harness that runs an application's handlers on the in-memory transport (the
// same publish and consume pipelines as on RabbitMQ, on a virtual clock), and what its assertions return.
export { MessagingHarness, type DeadLetter, type PublishedMessage, type RawPublication, type RetriedCopy } from './messaging-harness';
export type { DeliveryOutcome, HandledDelivery } from './delivery-journal';
export { EMULATED_BROKER_VERSION } from './memory-connection';
