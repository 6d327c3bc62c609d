// Finds the @EventPattern and @MessagePattern methods the transport consumes, as Nest's own listener explorer does (the
// application's controllers; a handler bound to another transport left out), and turns each into a HandlerDefinition
// through HandlerDiscovery, so that its queue and policies (@Retryable, @Idempotent, prefetch) read as for @MessageHandler.
import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { PATTERN_EXTRAS_METADATA, PATTERN_HANDLER_METADATA, PATTERN_METADATA, TRANSPORT_METADATA } from '@nestjs/microservices/constants';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum';
import type { HandlerDefinition } from '../handlers/handler-definition';
import { HandlerDiscovery } from '../handlers/handler-discovery';
import type { MessageHandlerOptions } from '../handlers/message-handler.decorator';
import { MessageCatalogue } from './message-catalogue';

/** One pattern of one handler method, as Nest registers it with a transport. */
export interface PatternHandlerEntry {
  readonly pattern: unknown;
  readonly definition: HandlerDefinition;
}

@Injectable()
export class PatternHandlerExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly handlers: HandlerDiscovery,
    private readonly catalogue: MessageCatalogue,
  ) {}

  /**
   * The pattern handlers of the controllers for the transport `transportId`: one entry per pattern (a method with two
   * patterns consumes two queues). A handler's extras (`@EventPattern(T, { queue, prefetch, dependsOn })`) are its
   * options, as `@MessageHandler(T, options)` takes them. Throws MessagingConfigError for a pattern that names no
   * message class, or a bad policy.
   */
  explore(transportId: symbol): PatternHandlerEntry[] {
    const entries: PatternHandlerEntry[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance: unknown = wrapper.instance;
      // Nest registers the handlers of request-scoped controllers too; the transport refuses them (see MessagingTransport).
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const method = prototype[methodName];
        if (typeof method !== 'function') continue;
        const handlerType = Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) as PatternHandler | undefined;
        if (handlerType === undefined) continue;
        const transport = Reflect.getMetadata(TRANSPORT_METADATA, method) as unknown;
        if (transport !== undefined && transport !== transportId) continue;
        const patterns = (Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined) ?? [];
        const extras = (Reflect.getMetadata(PATTERN_EXTRAS_METADATA, method) as MessageHandlerOptions | undefined) ?? {};
        const kind = handlerType === PatternHandler.EVENT ? 'event' : 'request';
        for (const pattern of patterns) {
          const where = `${instance.constructor.name}.${methodName} pattern`;
          const messageClass = this.catalogue.resolve(pattern, where);
          entries.push({ pattern, definition: this.handlers.define(instance, methodName, { ...extras, messageClass }, kind) });
        }
      }
    }
    return entries;
  }
}
