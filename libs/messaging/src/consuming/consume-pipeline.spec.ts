// Protects the order of the consume path: the library's steps as CONSUME_STEPS lists them, the application's where placed.
import { Injectable, type Type } from '@nestjs/common';
import type { DiscoveryService, ModuleRef } from '@nestjs/core';
import { MessagingConfigError } from '@app/messaging-core';
import { deliveryOf, handlerFor, rawDelivery } from '../../../../test/support/deliveries';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { CONSUME_STEPS, ConsumePipeline } from './consume-pipeline';
import { ConsumeStep, type ConsumeStepName, type ConsumeStepPlacement, type NextStep } from './consume-step';
import type { Delivery } from './delivery';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

const LIBRARY_ORDER: ConsumeStepName[] = [
  'trace',
  'outcome',
  'reply',
  'envelope',
  'decode',
  'correlation',
  'validate',
  'dependencies',
  'idempotency',
  'invoke',
];

/** Stands in for a library step: writes its name to the log and goes on. */
class RecordingStep implements ConsumeStep {
  forHandler?: (handler: HandlerDefinition) => ConsumeStep | null;

  constructor(
    private readonly name: string,
    private readonly log: string[],
  ) {}

  handle(_delivery: Delivery, next: NextStep): void | Promise<void> {
    this.log.push(this.name);
    return next();
  }
}

interface Wrapper {
  metatype: Type<unknown> | undefined;
  instance: unknown;
  name: string;
}

function setup(applicationSteps: (log: string[]) => Wrapper[] = () => []) {
  const log: string[] = [];
  const library = new Map<Type<ConsumeStep>, RecordingStep>();
  for (const [name, type] of Object.entries(CONSUME_STEPS)) library.set(type, new RecordingStep(name, log));
  const resolved: Array<Type<ConsumeStep>> = [];
  const moduleRef = {
    get: (type: Type<ConsumeStep>) => {
      resolved.push(type);
      return library.get(type);
    },
  } as unknown as ModuleRef;
  // An ordinary provider next to the steps: discovery lists every provider, not only decorated ones.
  const plain: Wrapper = { metatype: class PlainService {}, instance: {}, name: 'PlainService' };
  const getProviders = jest.fn(() => [plain, ...applicationSteps(log)]);
  const pipeline = new ConsumePipeline(moduleRef, { getProviders } as unknown as DiscoveryService);
  const step = (name: ConsumeStepName): RecordingStep => library.get(CONSUME_STEPS[name])!;
  return { log, pipeline, step, resolved, getProviders };
}

/** An application step class placed at `placement` that logs `name`, and its provider wrapper. */
function applicationStep(name: string, placement: ConsumeStepPlacement, log: string[], behaviour: 'next' | 'stop' = 'next'): Wrapper {
  @Injectable()
  @ConsumeStep(placement)
  class ApplicationStep implements ConsumeStep {
    handle(_delivery: Delivery, next: NextStep): void | Promise<void> {
      log.push(name);
      if (behaviour === 'next') return next();
    }
  }
  return { metatype: ApplicationStep, instance: new ApplicationStep(), name };
}

function run(pipeline: ConsumePipeline, handler: HandlerDefinition): void | Promise<void> {
  return pipeline.compose(handler)(deliveryOf(handler, rawDelivery(OrderPlaced.messageType)));
}

describe('ConsumePipeline', () => {
  it("runs the library's steps in the order CONSUME_STEPS lists them", async () => {
    const { log, pipeline } = setup();

    await run(pipeline, handlerFor(OrderPlaced));

    expect(Object.keys(CONSUME_STEPS)).toEqual(LIBRARY_ORDER);
    expect(log).toEqual(LIBRARY_ORDER);
  });

  it('runs an application step just before the step it names', async () => {
    const { log, pipeline } = setup((into) => [applicationStep('tenant-check', { before: 'validate' }, into)]);

    await run(pipeline, handlerFor(OrderPlaced));

    expect(log).toEqual([
      'trace',
      'outcome',
      'reply',
      'envelope',
      'decode',
      'correlation',
      'tenant-check',
      'validate',
      'dependencies',
      'idempotency',
      'invoke',
    ]);
  });

  it('runs an application step just after the step it names', async () => {
    const { log, pipeline } = setup((into) => [applicationStep('tenant-check', { after: 'envelope' }, into)]);

    await run(pipeline, handlerFor(OrderPlaced));

    expect(log).toEqual([
      'trace',
      'outcome',
      'reply',
      'envelope',
      'tenant-check',
      'decode',
      'correlation',
      'validate',
      'dependencies',
      'idempotency',
      'invoke',
    ]);
  });

  it('places several application steps, each at its own place, and two at one place in the order they were found', async () => {
    const { log, pipeline } = setup((into) => [
      applicationStep('first-before-invoke', { before: 'invoke' }, into),
      applicationStep('after-outcome', { after: 'outcome' }, into),
      applicationStep('second-before-invoke', { before: 'invoke' }, into),
    ]);

    await run(pipeline, handlerFor(OrderPlaced));

    expect(log).toEqual([
      'trace',
      'outcome',
      'after-outcome',
      'reply',
      'envelope',
      'decode',
      'correlation',
      'validate',
      'dependencies',
      'idempotency',
      'first-before-invoke',
      'second-before-invoke',
      'invoke',
    ]);
  });

  it('leaves a step whose forHandler returns null out of that handler only, asking it once per handler', () => {
    const { log, pipeline, step } = setup();
    const plain = handlerFor(OrderPlaced, { name: 'Plain.handle' });
    const idempotent = handlerFor(OrderPlaced, { name: 'Idempotent.handle', idempotent: { store: 'memory' } });
    const idempotency = step('idempotency');
    const asked: string[] = [];
    idempotency.forHandler = (handler) => {
      asked.push(handler.name);
      return handler.idempotent ? idempotency : null;
    };

    const runPlain = pipeline.compose(plain);
    const runIdempotent = pipeline.compose(idempotent);
    void runPlain(deliveryOf(plain, rawDelivery(OrderPlaced.messageType)));
    const plainLog = log.splice(0);
    void runIdempotent(deliveryOf(idempotent, rawDelivery(OrderPlaced.messageType)));
    void runIdempotent(deliveryOf(idempotent, rawDelivery(OrderPlaced.messageType)));

    expect(plainLog).toEqual(LIBRARY_ORDER.filter((name) => name !== 'idempotency'));
    expect(log).toEqual([...LIBRARY_ORDER, ...LIBRARY_ORDER]);
    expect(asked).toEqual(['Plain.handle', 'Idempotent.handle']);
  });

  it('runs the step forHandler returns in place of the step itself', async () => {
    const { log, pipeline, step } = setup();
    const prepared = new RecordingStep('validate (prepared for the handler)', log);
    step('validate').forHandler = () => prepared;

    await run(pipeline, handlerFor(OrderPlaced));

    expect(log).toContain('validate (prepared for the handler)');
    expect(log).not.toContain('validate');
  });

  it('ends the delivery at a step that returns without calling next: the steps after it do not run', async () => {
    const { log, pipeline } = setup((into) => [applicationStep('drop-test-traffic', { after: 'decode' }, into, 'stop')]);

    await run(pipeline, handlerFor(OrderPlaced));

    expect(log).toEqual(['trace', 'outcome', 'reply', 'envelope', 'decode', 'drop-test-traffic']);
  });

  it("resolves the library's steps and discovers the application's once, for all handlers", () => {
    const { pipeline, resolved, getProviders } = setup();

    pipeline.compose(handlerFor(OrderPlaced, { name: 'A.handle' }));
    pipeline.compose(handlerFor(OrderPlaced, { name: 'B.handle' }));

    expect(resolved).toEqual(Object.values(CONSUME_STEPS));
    expect(getProviders).toHaveBeenCalledTimes(1);
  });
});

describe('ConsumePipeline refuses an application step', () => {
  const refusals: Array<[string, ConsumeStepPlacement]> = [
    ['placed before "trace"', { before: 'trace' } as unknown as ConsumeStepPlacement],
    ['placed before "outcome"', { before: 'outcome' } as unknown as ConsumeStepPlacement],
    ['placed after "trace"', { after: 'trace' } as unknown as ConsumeStepPlacement],
    ['placed after "invoke"', { after: 'invoke' } as unknown as ConsumeStepPlacement],
    ['naming an unknown step', { after: 'authorize' } as unknown as ConsumeStepPlacement],
    ['placed both before and after', { before: 'validate', after: 'decode' } as unknown as ConsumeStepPlacement],
    ['placed neither before nor after', {} as unknown as ConsumeStepPlacement],
  ];

  it.each(refusals)('%s, with a MessagingConfigError naming it', (_case, placement) => {
    const { pipeline } = setup((into) => [applicationStep('MisplacedStep', placement, into)]);

    expect(() => pipeline.compose(handlerFor(OrderPlaced))).toThrow(MessagingConfigError);
    expect(() => pipeline.compose(handlerFor(OrderPlaced))).toThrow(/MisplacedStep/);
  });

  it('whose provider has no handle() method', () => {
    @ConsumeStep({ after: 'decode' })
    class HalfDone {}
    const { pipeline } = setup(() => [{ metatype: HalfDone, instance: new HalfDone(), name: 'HalfDone' }]);

    expect(() => pipeline.compose(handlerFor(OrderPlaced))).toThrow(MessagingConfigError);
    expect(() => pipeline.compose(handlerFor(OrderPlaced))).toThrow(/HalfDone.*handle\(delivery, next\)/);
  });
});
