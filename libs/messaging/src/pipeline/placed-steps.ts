// The steps an application adds to a pipeline (@ConsumeStep, @PublishStep): found among its providers, checked, and
// put just before or after the library's step they name. Shared by the consume and the publish pipeline.
import type { DiscoveryService } from '@nestjs/core';
import { MessagingConfigError } from '@app/messaging-core';

export interface PipelineRules {
  /** The decorator, for errors ("@ConsumeStep"). */
  decorator: string;
  /** The metadata key the decorator writes. */
  metadataKey: string;
  /** The library's steps, in order. */
  steps: readonly string[];
  /** Steps nothing may go before (they stand outside the one that settles failures). */
  notBefore: readonly string[];
  /** Steps nothing may go after (the last). */
  notAfter: readonly string[];
  /** How `handle` is called, for the error about a provider without it. */
  signature: string;
}

export interface OrderedStep<S> {
  /** The library's name of the step; undefined for the application's. */
  name: string | undefined;
  step: S;
}

interface Placed<S> {
  step: S;
  before?: string;
  after?: string;
}

/**
 * The library's steps (`resolve` gives each by name) with the application's placed among them. Several at one place
 * run in the order Nest lists their providers.
 */
export function orderSteps<S extends object>(
  discovery: DiscoveryService,
  rules: PipelineRules,
  resolve: (name: string) => S,
): Array<OrderedStep<S>> {
  const placed = placedSteps<S>(discovery, rules);
  const ordered: Array<OrderedStep<S>> = [];
  for (const name of rules.steps) {
    for (const p of placed) if (p.before === name) ordered.push({ name: undefined, step: p.step });
    ordered.push({ name, step: resolve(name) });
    for (const p of placed) if (p.after === name) ordered.push({ name: undefined, step: p.step });
  }
  return ordered;
}

function placedSteps<S extends object>(discovery: DiscoveryService, rules: PipelineRules): Array<Placed<S>> {
  const placed: Array<Placed<S>> = [];
  for (const wrapper of discovery.getProviders()) {
    const placement = wrapper.metatype ? (Reflect.getMetadata(rules.metadataKey, wrapper.metatype) as object | undefined) : undefined;
    if (!placement) continue;
    const name = (wrapper.name as string | undefined) ?? 'a step'; // Nest types a provider's name any
    const { before, after } = checkPlacement(name, placement, rules);
    const step = wrapper.instance as { handle?: unknown } | undefined;
    if (typeof step?.handle !== 'function') {
      throw new MessagingConfigError(`${rules.decorator} ${name}`, `must be a provider with a ${rules.signature} method`);
    }
    placed.push({ step: step as S, before, after });
  }
  return placed;
}

/** Checked at run time: placements also come from JavaScript and from casts. */
function checkPlacement(name: string, placement: object, rules: PipelineRules): { before?: string; after?: string } {
  const before = 'before' in placement ? String(placement.before) : undefined;
  const after = 'after' in placement ? String(placement.after) : undefined;
  const anchor = before ?? after;
  if ((before === undefined) === (after === undefined) || !anchor || !rules.steps.includes(anchor)) {
    throw new MessagingConfigError(
      `${rules.decorator} of ${name}`,
      `needs exactly one of { before } or { after }, naming one of ${rules.steps.join(', ')}`,
    );
  }
  if ((before !== undefined && rules.notBefore.includes(before)) || (after !== undefined && rules.notAfter.includes(after))) {
    const first = rules.steps.find((step) => !rules.notBefore.includes(step));
    const last = [...rules.steps].reverse().find((step) => !rules.notAfter.includes(step));
    throw new MessagingConfigError(
      `${rules.decorator} of ${name}`,
      `cannot go ${before !== undefined ? `before "${before}"` : `after "${after}"`}: place it between "${first}" and "${last}"`,
    );
  }
  return { before, after };
}
