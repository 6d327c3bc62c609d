// Protects how @EventPattern and @MessagePattern methods become HandlerDefinitions. It reads the metadata Nest's own
// decorators write (keys from @nestjs/microservices' internals): these tests notice when a version writes another shape.
import 'reflect-metadata';
import { EventPattern, MessagePattern, Transport } from '@nestjs/microservices';
import type { DiscoveryService } from '@nestjs/core';
import { MetadataScanner } from '@nestjs/core';
import { MessagingConfigError } from '@app/messaging-core';
import { HandlerDiscovery } from '../handlers/handler-discovery';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { resolveMessagingOptions } from '../options/messaging-options';
import { Retryable } from '../retry/retryable.decorator';
import { TopologyNames } from '../topology/topology-names';
import { MessageCatalogue } from './message-catalogue';
import { MESSAGING_TRANSPORT } from './messaging-transport';
import { PatternHandlerExplorer } from './pattern-handler-explorer';
import { resolveTransportOptions } from './transport-options';

class ParcelShipped {
  static readonly messageType = 'parcel.shipped';
  static readonly schemaVersion = 1;
}

class QuoteRequested {
  static readonly messageType = 'quote.requested';
  static readonly schemaVersion = 1;
}

class ParcelLost {
  static readonly messageType = 'parcel.lost';
  static readonly schemaVersion = 1;
}

function explorerFor(...controllers: object[]): PatternHandlerExplorer {
  const options = resolveMessagingOptions({ serviceName: 'parcels' }, {});
  const wrappers = controllers.map((instance) => ({ instance, isDependencyTreeStatic: () => true }));
  const discovery = { getControllers: () => wrappers, getProviders: () => [] } as unknown as DiscoveryService;
  const scanner = new MetadataScanner();
  const handlers = new HandlerDiscovery(options, discovery, scanner, new TopologyNames(options.exchange, options.serviceName));
  const catalogue = new MessageCatalogue(resolveTransportOptions({ messages: [ParcelLost] }));
  return new PatternHandlerExplorer(discovery, scanner, handlers, catalogue);
}

describe('PatternHandlerExplorer', () => {
  it("turns Nest's @EventPattern into an 'event' handler and @MessagePattern into a 'request' one, queue <service>.<type>", () => {
    class ParcelsController {
      @EventPattern(ParcelShipped)
      onShipped(): void {}

      @MessagePattern(QuoteRequested)
      quote(): number {
        return 1;
      }

      helper(): void {}
    }
    const controller = new ParcelsController();

    const entries = explorerFor(controller).explore(MESSAGING_TRANSPORT);

    expect(entries.map(({ pattern, definition }) => ({ pattern, ...definition }))).toEqual([
      expect.objectContaining({
        pattern: ParcelShipped,
        name: 'ParcelsController.onShipped',
        instance: controller,
        methodName: 'onShipped',
        messageClass: ParcelShipped,
        queue: 'parcels.parcel.shipped',
        kind: 'event',
      }),
      expect.objectContaining({ pattern: QuoteRequested, queue: 'parcels.quote.requested', kind: 'request', methodName: 'quote' }),
    ]);
  });

  it('reads a type name through the catalogue, and one entry per pattern of a method with several', () => {
    class LostController {
      @EventPattern(['parcel.lost', ParcelShipped])
      onEither(): void {}
    }

    const entries = explorerFor(new LostController()).explore(MESSAGING_TRANSPORT);

    expect(entries.map((entry) => [entry.pattern, entry.definition.messageClass, entry.definition.queue])).toEqual([
      ['parcel.lost', ParcelLost, 'parcels.parcel.lost'],
      [ParcelShipped, ParcelShipped, 'parcels.parcel.shipped'],
    ]);
  });

  it("takes a handler's extras as its options, and its @Retryable and @Idempotent as a @MessageHandler's", () => {
    class AuditController {
      @EventPattern(ParcelShipped, { queue: 'parcels.audit', prefetch: 3, dependsOn: [] })
      @Retryable({ maxAttempts: 7 })
      @Idempotent({ store: 'memory' })
      onShipped(): void {}
    }

    const [{ definition }] = explorerFor(new AuditController()).explore(MESSAGING_TRANSPORT);

    expect(definition).toMatchObject({ queue: 'parcels.audit', prefetch: 3, dependsOn: [], idempotent: { store: 'memory' } });
    expect(definition.retry.maxAttempts).toBe(7);
  });

  it('leaves out a handler bound to another transport, and keeps one bound to this one', () => {
    class MixedController {
      @EventPattern(ParcelShipped, Transport.RMQ)
      forRmq(): void {}

      @EventPattern(QuoteRequested, MESSAGING_TRANSPORT)
      forUs(): void {}
    }

    const entries = explorerFor(new MixedController()).explore(MESSAGING_TRANSPORT);

    expect(entries.map((entry) => entry.definition.methodName)).toEqual(['forUs']);
  });

  it('refuses, naming the method, a pattern that names no message class', () => {
    class TypoController {
      @EventPattern('parcel.shiped')
      onShipped(_parcel: unknown): void {}
    }

    expect(() => explorerFor(new TypoController()).explore(MESSAGING_TRANSPORT)).toThrow(MessagingConfigError);
    expect(() => explorerFor(new TypoController()).explore(MESSAGING_TRANSPORT)).toThrow(
      /"TypoController.onShipped pattern": no message class has the type "parcel.shiped"/,
    );
  });

  it('refuses a bad option given in extras, as for @MessageHandler', () => {
    class BadController {
      @EventPattern(ParcelShipped, { prefetch: 0 })
      onShipped(): void {}
    }

    expect(() => explorerFor(new BadController()).explore(MESSAGING_TRANSPORT)).toThrow(/BadController.onShipped prefetch/);
  });
});
