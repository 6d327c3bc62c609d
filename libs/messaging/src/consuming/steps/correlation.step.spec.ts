// Protects the correlation of a handler's work: the message's correlation id and its id as the cause, inside only.
import { deliveryOf, handlerFor, rawDelivery } from '../../../../../test/support/deliveries';
import { currentCorrelation, type CorrelationContext } from '../../correlation/correlation-context';
import { CorrelationStep } from './correlation.step';

class OrderPlaced {
  static readonly messageType = 'order.placed';
  static readonly schemaVersion = 1;
}

function deliveryWith(messageId: string, correlationId: string) {
  return deliveryOf(
    handlerFor(OrderPlaced),
    rawDelivery(OrderPlaced.messageType, { properties: { messageId }, headers: { 'x-correlation-id': correlationId } }),
  );
}

describe('CorrelationStep', () => {
  it("makes { correlationId, causationId: the message's id } current for the rest of the pipeline", async () => {
    const step = new CorrelationStep();
    let inside: CorrelationContext | undefined;

    await step.handle(deliveryWith('m-7', 'c-42'), () => {
      inside = currentCorrelation();
    });

    expect(inside).toEqual({ correlationId: 'c-42', causationId: 'm-7' });
  });

  it('leaves nothing current outside, before or after', async () => {
    const step = new CorrelationStep();

    expect(currentCorrelation()).toBeUndefined();
    const result = step.handle(deliveryWith('m-7', 'c-42'), async () => undefined);
    expect(currentCorrelation()).toBeUndefined();
    await result;

    expect(currentCorrelation()).toBeUndefined();
  });

  it('keeps it current across the awaits of an asynchronous handler, and returns its promise', async () => {
    const step = new CorrelationStep();
    let afterAwait: CorrelationContext | undefined;

    const result = step.handle(deliveryWith('m-7', 'c-42'), async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      afterAwait = currentCorrelation();
    });
    await result;

    expect(result).toBeInstanceOf(Promise);
    expect(afterAwait).toEqual({ correlationId: 'c-42', causationId: 'm-7' });
  });

  it('keeps the correlations of deliveries handled at the same time apart', async () => {
    const step = new CorrelationStep();
    const seen: Array<CorrelationContext | undefined> = [];
    let releaseFirst!: () => void;
    const firstWaits = new Promise<void>((resolve) => (releaseFirst = resolve));

    const first = step.handle(deliveryWith('m-1', 'c-1'), async () => {
      await firstWaits;
      seen.push(currentCorrelation());
    });
    await step.handle(deliveryWith('m-2', 'c-2'), async () => {
      seen.push(currentCorrelation());
    });
    releaseFirst();
    await first;

    expect(seen).toEqual([
      { correlationId: 'c-2', causationId: 'm-2' },
      { correlationId: 'c-1', causationId: 'm-1' },
    ]);
  });
});
