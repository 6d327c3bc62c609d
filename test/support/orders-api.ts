// Test helper: the sample apps' HTTP APIs as a client sees them (place and read orders, list notifications), with
// bounded waits that report the last state seen.
import { randomUUID } from 'node:crypto';
import type { NotificationView } from '../../apps/notifications/src/notifications/notifications.controller';
import type { OrderView } from '../../apps/orders/src/orders/orders.controller';
import type { ServiceProcess } from './service-process';

export type { NotificationView, OrderView };

export interface OrderRequestBody {
  customerId: string;
  email: string;
  currency: string;
  items: Array<{ sku: string; quantity: number; unitPrice: string }>;
}

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/** A valid POST /orders body for `email` (whose local part steers the sandbox e-mail provider). */
export function orderRequest(email: string): OrderRequestBody {
  return {
    customerId: randomUUID(),
    email,
    currency: 'EUR',
    items: [
      { sku: 'BOOK-1', quantity: 2, unitPrice: '12.50' },
      { sku: 'PEN-7', quantity: 1, unitPrice: '3.20' },
    ],
  };
}

export async function postOrder<T = { id: string; status: string }>(
  orders: ServiceProcess,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const response = await orders.fetch('/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as T };
}

/** POST /orders that must be accepted; returns the new order's id. */
export async function placeOrder(orders: ServiceProcess, body: OrderRequestBody, headers: Record<string, string> = {}): Promise<string> {
  const response = await postOrder(orders, body, headers);
  if (response.status !== 202) throw new Error(`POST /orders answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id;
}

export async function getOrder(orders: ServiceProcess, id: string): Promise<JsonResponse<OrderView>> {
  const response = await orders.fetch(`/orders/${id}`);
  return { status: response.status, headers: response.headers, body: (await response.json()) as OrderView };
}

/** Polls GET /orders/:id until the order leaves PENDING; fails (with the last view) after `timeoutMs`. */
export async function waitForSettledOrder(orders: ServiceProcess, id: string, timeoutMs = 20_000): Promise<OrderView> {
  const deadline = Date.now() + timeoutMs;
  let last: JsonResponse<OrderView> | undefined;
  while (Date.now() < deadline) {
    last = await getOrder(orders, id);
    if (last.status === 200 && last.body.status !== 'PENDING') return last.body;
    await sleep(100);
  }
  throw new Error(`Order ${id} still not settled after ${timeoutMs} ms; last GET: ${last?.status} ${JSON.stringify(last?.body)}`);
}

export async function listNotifications(notifications: ServiceProcess, orderId: string): Promise<NotificationView[]> {
  const response = await notifications.fetch(`/notifications?orderId=${encodeURIComponent(orderId)}`);
  const body = (await response.json()) as unknown;
  if (response.status !== 200 || !Array.isArray(body)) {
    throw new Error(`GET /notifications?orderId=${orderId} answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body as NotificationView[];
}

/** Runs `work` over `items` with at most `concurrency` at a time; results in the order of `items`. */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
