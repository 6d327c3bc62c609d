// Protects the order of the publish path, the application's steps where placed, and the partial pipelines it composes.
import { Injectable, type Type } from '@nestjs/common';
import type { DiscoveryService, ModuleRef } from '@nestjs/core';
import { MessagingConfigError } from '@app/messaging-core';
import { Publication } from './publication';
import { PUBLISH_STEPS, PublishPipeline } from './publish-pipeline';
import { PublishStep, type NextPublishStep, type PublishStepName, type PublishStepPlacement } from './publish-step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

const LIBRARY_ORDER: PublishStepName[] = ['validate', 'envelope', 'correlation', 'trace', 'send'];

/** Stands in for a library step: writes its name to the log and goes on. */
class RecordingStep implements PublishStep {
  constructor(
    private readonly name: string,
    private readonly log: string[],
  ) {}

  handle(_publication: Publication, next: NextPublishStep): Promise<void> {
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
  const library = new Map<Type<PublishStep>, RecordingStep>();
  for (const [name, type] of Object.entries(PUBLISH_STEPS)) library.set(type, new RecordingStep(name, log));
  const get = jest.fn((type: Type<PublishStep>) => library.get(type));
  const plain: Wrapper = { metatype: class PlainService {}, instance: {}, name: 'PlainService' };
  const getProviders = jest.fn(() => [plain, ...applicationSteps(log)]);
  const pipeline = new PublishPipeline({ get } as unknown as ModuleRef, { getProviders } as unknown as DiscoveryService);
  return { log, pipeline, get, getProviders };
}

/** An application step class placed at `placement` that logs `name` (or throws `fails`), and its provider wrapper. */
function applicationStep(name: string, placement: PublishStepPlacement, log: string[], fails?: Error): Wrapper {
  @Injectable()
  @PublishStep(placement)
  class ApplicationStep implements PublishStep {
    async handle(_publication: Publication, next: NextPublishStep): Promise<void> {
      log.push(name);
      if (fails) throw fails;
      return next();
    }
  }
  return { metatype: ApplicationStep, instance: new ApplicationStep(), name };
}

const publication = () => new Publication(OrderPlaced, { orderId: 'o-1' }, {}, 'broker');

describe('PublishPipeline', () => {
  it("runs the library's steps in the order PUBLISH_STEPS lists them", async () => {
    const { log, pipeline } = setup();

    await pipeline.compose()(publication());

    expect(Object.keys(PUBLISH_STEPS)).toEqual(LIBRARY_ORDER);
    expect(log).toEqual(LIBRARY_ORDER);
  });

  it('runs application steps just before or just after the step each names', async () => {
    const { log, pipeline } = setup((into) => [
      applicationStep('before-send', { before: 'send' }, into),
      applicationStep('after-validate', { after: 'validate' }, into),
      applicationStep('before-envelope', { before: 'envelope' }, into),
    ]);

    await pipeline.compose()(publication());

    expect(log).toEqual(['validate', 'after-validate', 'before-envelope', 'envelope', 'correlation', 'trace', 'before-send', 'send']);
  });

  it('rejects with the error of a step that refuses the publish, and runs nothing after it', async () => {
    const refused = new Error('tenant is read-only');
    const { log, pipeline } = setup((into) => [applicationStep('tenant-check', { after: 'envelope' }, into, refused)]);

    await expect(pipeline.compose()(publication())).rejects.toBe(refused);

    expect(log).toEqual(['validate', 'envelope', 'tenant-check']);
  });

  it("resolves the library's steps and discovers the application's once, for every pipeline it composes", async () => {
    const { pipeline, get, getProviders } = setup();

    pipeline.compose();
    pipeline.compose({ from: 'trace' });
    pipeline.compose({ until: 'trace' });

    expect(get.mock.calls.map(([type]) => type)).toEqual(Object.values(PUBLISH_STEPS));
    expect(getProviders).toHaveBeenCalledTimes(1);
  });
});

describe('PublishPipeline.compose, partly', () => {
  const placed = (into: string[]) => [
    applicationStep('after-correlation', { after: 'correlation' }, into),
    applicationStep('before-trace', { before: 'trace' }, into),
    applicationStep('after-trace', { after: 'trace' }, into),
  ];

  it("from 'trace' runs trace and what follows, leaving out the steps before it and the application's placed before it", async () => {
    const { log, pipeline } = setup(placed);

    await pipeline.compose({ from: 'trace' })(publication());

    expect(log).toEqual(['trace', 'after-trace', 'send']);
  });

  it("until 'trace' runs the steps before trace, with the application's placed before it, and stops there", async () => {
    const { log, pipeline } = setup(placed);

    await pipeline.compose({ until: 'trace' })(publication());

    expect(log).toEqual(['validate', 'envelope', 'correlation', 'after-correlation', 'before-trace']);
  });

  it("with a last step runs it in place of send, after the application's steps placed before send", async () => {
    const { log, pipeline } = setup((into) => [applicationStep('before-send', { before: 'send' }, into)]);
    const last = new RecordingStep('write outbox row', log);

    await pipeline.compose({ last })(publication());

    expect(log).toEqual(['validate', 'envelope', 'correlation', 'trace', 'before-send', 'write outbox row']);
  });
});

describe('PublishPipeline refuses an application step', () => {
  const refusals: Array<[string, PublishStepPlacement]> = [
    ['placed before "validate"', { before: 'validate' } as unknown as PublishStepPlacement],
    ['placed after "send"', { after: 'send' } as unknown as PublishStepPlacement],
    ['naming an unknown step', { before: 'sign' } as unknown as PublishStepPlacement],
    ['placed both before and after', { before: 'trace', after: 'envelope' } as unknown as PublishStepPlacement],
    ['placed neither before nor after', {} as unknown as PublishStepPlacement],
  ];

  it.each(refusals)('%s, with a MessagingConfigError naming it', (_case, placement) => {
    const { pipeline } = setup((into) => [applicationStep('MisplacedStep', placement, into)]);

    expect(() => pipeline.compose()).toThrow(MessagingConfigError);
    expect(() => pipeline.compose()).toThrow(/MisplacedStep/);
  });

  it('whose provider has no handle() method', () => {
    @PublishStep({ after: 'envelope' })
    class HalfDone {}
    const { pipeline } = setup(() => [{ metatype: HalfDone, instance: new HalfDone(), name: 'HalfDone' }]);

    expect(() => pipeline.compose()).toThrow(MessagingConfigError);
    expect(() => pipeline.compose()).toThrow(/HalfDone.*handle\(publication, next\)/);
  });
});
