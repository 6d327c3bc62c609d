/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// End to end: both sample apps as real processes on PostgreSQL and their own vhost. An order is placed over HTTP, the
// notifier sends its e-mail (or retries, or dead-letters it), and the order follows; errors answer as documented.
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChannelModel, GetMessage } from 'amqplib';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { createTestVhost, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ServiceProcess } from './support/service-process';
import { getOrder, listNotifications, orderRequest, placeOrder, postOrder, waitForSettledOrder } from './support/orders-api';

/** As operators see it in the management UI: `<service>.<message type>.dlq`. */
const ORDER_CREATED_DLQ = 'notifications.order.created.dlq';

describe('order flow across the orders and notifications processes', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let ordersDb: TestDatabase;
  let notificationsDb: TestDatabase;
  let orders: ServiceProcess;
  let notifications: ServiceProcess;
  let broker: ChannelModel;

  beforeAll(async () => {
    [vhost, ordersDb, notificationsDb] = await Promise.all([
      createTestVhost('order-flow'),
      createTestDatabase('order_flow_orders'),
      createTestDatabase('order_flow_notifications'),
    ]);
    [orders, notifications] = await Promise.all([
      services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb }),
      services.start({ app: 'notifications', amqpUrl: vhost.url, database: notificationsDb }),
    ]);
    broker = await vhost.connect();
  }, 150_000);

  afterAll(async () => {
    await broker?.close().catch(() => undefined);
    // Stopped before the vhost and databases go, so that their shutdown is not a storm of reconnects.
    await services.stopAll(15_000);
    await Promise.all([vhost?.delete(), ordersDb?.drop(), notificationsDb?.drop()]);
  }, 60_000);

  /** The dead letters now in `queue`, looked at without taking them: they go back when the channel closes. */
  async function deadLetters(queue: string): Promise<GetMessage[]> {
    const channel = await broker.createChannel();
    try {
      const messages: GetMessage[] = [];
      for (let message = await channel.get(queue); message; message = await channel.get(queue)) messages.push(message);
      return messages;
    } finally {
      await channel.close();
    }
  }

  /** The dead-lettered order.created of `orderId`, waited for (bounded). */
  async function deadLetteredOrderCreated(orderId: string, timeoutMs = 10_000): Promise<GetMessage> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = (await deadLetters(ORDER_CREATED_DLQ)).find(
        (message) => (JSON.parse(message.content.toString('utf8')) as { orderId?: string }).orderId === orderId,
      );
      if (found) return found;
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error(`No dead letter for order ${orderId} in ${ORDER_CREATED_DLQ} within ${timeoutMs} ms`);
  }

  it('answers /health/live with 200 on both apps', async () => {
    for (const service of [orders, notifications]) {
      const response = await service.fetch('/health/live');
      expect(response.status).toBe(200);
    }
  });

  it('accepts an order with 202, Location and PENDING, then marks it NOTIFIED after one e-mail', async () => {
    const response = await postOrder(orders, orderRequest('alice@example.com'));

    expect(response.status).toBe(202);
    expect(response.body).toEqual({ id: expect.any(String), status: 'PENDING' });
    expect(response.headers.get('location')).toBe(`/orders/${response.body.id}`);
    const order = await waitForSettledOrder(orders, response.body.id);
    expect(order).toMatchObject({ id: response.body.id, status: 'NOTIFIED', email: 'alice@example.com', total: '28.20', currency: 'EUR' });
    expect(order.failureReason).toBeUndefined();
    const sent = await listNotifications(notifications, response.body.id);
    expect(sent).toEqual([
      expect.objectContaining({ orderId: response.body.id, channel: 'email', recipient: 'alice@example.com', attempts: 1, status: 'SENT' }),
    ]);
  });

  it("asks the notification service for an order's notifications: request/reply over the messaging transport", async () => {
    const id = await placeOrder(orders, orderRequest('bob@example.com'));
    expect((await waitForSettledOrder(orders, id)).status).toBe('NOTIFIED');

    const response = await orders.fetch(`/orders/${id}/notifications`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      orderId: id,
      notifications: [{ channel: 'email', recipient: 'b***b@example.com', attempts: 1, status: 'SENT', sentAt: expect.any(String) }],
    });
    expect((await orders.fetch(`/orders/${randomUUID()}/notifications`)).status).toBe(404);
  });

  it('retries an e-mail the provider fails transiently twice, and notifies on the third attempt', async () => {
    const id = await placeOrder(orders, orderRequest('transient-2@example.com'));

    const order = await waitForSettledOrder(orders, id, 30_000);
    expect(order.status).toBe('NOTIFIED');
    const sent = await listNotifications(notifications, id);
    expect(sent).toHaveLength(1);
    expect(sent[0].attempts).toBe(3);
  });

  it('marks an order whose e-mail is refused NOTIFICATION_FAILED with a reason, and dead-letters its order.created', async () => {
    const id = await placeOrder(orders, orderRequest('reject@example.com'));

    const order = await waitForSettledOrder(orders, id);
    expect(order.status).toBe('NOTIFICATION_FAILED');
    expect(order.failureReason).toMatch(/permanent/);
    expect(order.failureReason).toMatch(/refused/);
    expect(await listNotifications(notifications, id)).toEqual([]);
    const deadLetter = await deadLetteredOrderCreated(id);
    expect(deadLetter.properties.type).toBe('order.created');
    expect(deadLetter.properties.headers?.['x-error-type']).toBe('permanent');
    expect(deadLetter.properties.headers?.['x-error-message']).toMatch(/refused/);
    expect(deadLetter.properties.headers?.['x-original-queue']).toBe('notifications.order.created');
    expect(JSON.parse(deadLetter.content.toString('utf8'))).toMatchObject({ orderId: id, email: 'reject@example.com' });
  });

  it('returns the X-Correlation-Id of the POST and carries it to the dead-lettered order.created', async () => {
    const correlationId = `e2e-${randomBytes(6).toString('hex')}`;
    const response = await postOrder(orders, orderRequest('reject@example.com'), { 'X-Correlation-Id': correlationId });

    expect(response.status).toBe(202);
    expect(response.headers.get('x-correlation-id')).toBe(correlationId);
    await waitForSettledOrder(orders, response.body.id);
    const deadLetter = await deadLetteredOrderCreated(response.body.id);
    expect(deadLetter.properties.headers?.['x-correlation-id']).toBe(correlationId);
  });

  it('refuses an invalid order with 400 and names the faulty fields', async () => {
    const response = await postOrder<{ statusCode: number; message: string[] }>(orders, {
      customerId: 'not-a-uuid',
      email: 'not-an-address',
      currency: 'EUR',
      items: [{ sku: 'BOOK-1', quantity: 0, unitPrice: '12.50' }],
      coupon: 'FREE',
    });

    expect(response.status).toBe(400);
    expect(Array.isArray(response.body.message)).toBe(true);
    const reasons = response.body.message.join('\n');
    expect(reasons).toMatch(/customerId/);
    expect(reasons).toMatch(/email/);
    expect(reasons).toMatch(/quantity/);
    expect(reasons).toMatch(/coupon/);
    expect(reasons).not.toMatch(/currency/);
  });

  it('refuses hostile bodies with a 4xx and the reason, never a 5xx: the input limits hold in the started service', async () => {
    const post = async (body: string) => {
      const response = await orders.fetch('/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: response.status, message: String(((await response.json()) as { message: unknown }).message) };
    };
    const valid = JSON.stringify(orderRequest('hostile@example.com'));

    expect(await post(valid.replace('"items":', `"notes":${'['.repeat(5000)}${']'.repeat(5000)},"items":`))).toEqual({
      status: 413,
      message: expect.stringContaining('nested deeper than the limit of 32 levels'),
    });
    expect(await post(valid.replace('{', '{"__proto__":{"isAdmin":true},'))).toEqual({
      status: 400,
      message: expect.stringContaining('"__proto__"'),
    });
    expect(await post(valid.replace('hostile@', 'host\\u202eile@'))).toMatchObject({
      status: 400,
      message: expect.stringContaining('email'),
    });
    const overflow = JSON.stringify({
      ...orderRequest('big@example.com'),
      items: [{ sku: 'A', quantity: 10_000, unitPrice: '999999999999.00' }],
    });
    expect(await post(overflow)).toEqual({
      status: 400,
      message: expect.stringContaining("the order's total must be at most 999999999999.99"),
    });
    // 300 kB is within the 1 MiB body limit (not Express's 100 kB default): it reaches validation.
    expect(
      await post(
        valid.replace(
          '{',
          `{"pad":"${'x'.repeat(60_000)}","pad2":"${'x'.repeat(60_000)}","pad3":"${'x'.repeat(60_000)}","pad4":"${'x'.repeat(60_000)}","pad5":"${'x'.repeat(60_000)}",`,
        ),
      ),
    ).toMatchObject({ status: 400 });
  });

  it('answers a repeated request with the same Idempotency-Key and body with the same order, notified once', async () => {
    const key = `e2e-${randomUUID()}`;
    const body = orderRequest('idempotent@example.com');

    const first = await postOrder(orders, body, { 'Idempotency-Key': key });
    const second = await postOrder(orders, body, { 'Idempotency-Key': key });

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('location')).toBe(`/orders/${first.body.id}`);
    expect((await waitForSettledOrder(orders, first.body.id)).status).toBe('NOTIFIED');
    // A second order.created would have made a second notification by now (the first one is already through).
    await new Promise((done) => setTimeout(done, 500));
    expect(await listNotifications(notifications, first.body.id)).toHaveLength(1);
  });

  it('places one order for concurrent requests with the same Idempotency-Key', async () => {
    const key = `e2e-${randomUUID()}`;
    const body = orderRequest('concurrent@example.com');

    const responses = await Promise.all(Array.from({ length: 5 }, () => postOrder(orders, body, { 'Idempotency-Key': key })));

    expect(responses.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    expect((await waitForSettledOrder(orders, responses[0].body.id)).status).toBe('NOTIFIED');
    await new Promise((done) => setTimeout(done, 500));
    expect(await listNotifications(notifications, responses[0].body.id)).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key with a different body with 422', async () => {
    const key = `e2e-${randomUUID()}`;
    const first = await postOrder(orders, orderRequest('first@example.com'), { 'Idempotency-Key': key });
    const second = await postOrder<{ statusCode: number; message: string }>(orders, orderRequest('second@example.com'), {
      'Idempotency-Key': key,
    });

    expect(first.status).toBe(202);
    expect(second.status).toBe(422);
    expect(second.body.message).toMatch(/Idempotency-Key/);
  });

  it('answers 404 for an unknown order id and 400 for an id that is not a UUID', async () => {
    const unknown = await getOrder(orders, randomUUID());
    const malformed = await getOrder(orders, 'not-a-uuid');

    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(400);
  });
});
