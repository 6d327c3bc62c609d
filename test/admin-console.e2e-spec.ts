/**
 * @jest-environment <rootDir>/test/support/e2e-environment.ts
 */
// End to end, in a real browser: the admin console of the notifications service (both sample apps as processes on
// PostgreSQL and their own vhost), driven in headless Chromium by playwright-core. Orders are placed whose e-mails
// are refused (permanent), fail until their retries are used up (exhausted), and a poison message with markup in its
// body and headers (validation); the console signs in, shows them, refuses a bad edit, replays, and purges.
// ADMIN_CONSOLE_SCREENSHOT=<file.png> saves a screenshot of the console with these dead letters (the README's).
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ChannelModel, GetMessage } from 'amqplib';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { browserTest, launchBrowser } from './support/browser';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { createTestVhost, type TestVhost } from './support/test-broker';
import { ServiceProcesses, type ServiceProcess } from './support/service-process';
import { listNotifications, orderRequest, placeOrder } from './support/orders-api';

const QUEUE = 'notifications.order.created';
const DLQ = `${QUEUE}.dlq`;
const TOKEN = `console-${randomBytes(16).toString('hex')}`;
/** Markup that would run or show if the console ever rendered a dead letter's text as HTML. */
const HOSTILE_ID = `<img src=x onerror="window.__xss='id';alert('id')">`;
const HOSTILE_BODY = {
  orderId: `<script>window.__xss='body';alert('body')</script>`,
  note: `<img src=x onerror="window.__xss='note';alert('note')"><b id="injected">bold</b>`,
};
const HOSTILE_HEADER = `<script>window.__xss='header';alert('header')</script><a id="injected-link" href="javascript:alert(1)">link</a>`;
/** Playwright's waits stay under Jest's timeout, so that a failure is an error with a screenshot rather than a timeout. */
const UI_TIMEOUT_MS = 15_000;

describe('admin console in a browser', () => {
  const services = ServiceProcesses.forTestFile();
  let vhost: TestVhost;
  let ordersDb: TestDatabase;
  let notificationsDb: TestDatabase;
  let orders: ServiceProcess;
  let notifications: ServiceProcess;
  let broker: ChannelModel;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const dialogs: string[] = [];
  const requestedUrls: string[] = [];
  let rejectedOrder: string;
  let exhaustedOrder: string;

  beforeAll(async () => {
    [vhost, ordersDb, notificationsDb, browser] = await Promise.all([
      createTestVhost('admin-console'),
      createTestDatabase('console_orders'),
      createTestDatabase('console_notifications'),
      launchBrowser(),
    ]);
    // A high circuit threshold: the retried e-mails below must not open the provider's circuit for everyone.
    const env = { ADMIN_TOKEN: TOKEN, CIRCUIT_FAILURE_THRESHOLD: '100' };
    [orders, notifications] = await Promise.all([
      services.start({ app: 'orders', amqpUrl: vhost.url, database: ordersDb, env }),
      services.start({ app: 'notifications', amqpUrl: vhost.url, database: notificationsDb, env }),
    ]);
    broker = await vhost.connect();
    // The dead letters the console works with: refused at once, out of retries (4 attempts, ~4-7 s), poison.
    [rejectedOrder, exhaustedOrder] = await Promise.all([
      placeOrder(orders, orderRequest('reject@example.test')),
      placeOrder(orders, orderRequest('transient-4@example.test')),
      placeOrder(orders, orderRequest('someone@example.test')),
      publishHostile(),
    ]);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request) => requestedUrls.push(request.url()));
  }, 150_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await broker?.close().catch(() => undefined);
    await services.stopAll(15_000);
    await Promise.all([vhost?.delete(), ordersDb?.drop(), notificationsDb?.drop()]);
  }, 60_000);

  /** A poison order.created (not valid: dead-lettered as validation) whose id, body and headers hold markup. */
  async function publishHostile(): Promise<void> {
    const channel = await broker.createConfirmChannel();
    channel.publish('domain.events', 'order.created', Buffer.from(JSON.stringify(HOSTILE_BODY)), {
      messageId: HOSTILE_ID,
      type: 'order.created',
      contentType: 'application/json',
      persistent: true,
      headers: { 'x-note': HOSTILE_HEADER },
    });
    await channel.waitForConfirms();
    await channel.close();
  }

  /** The message id of the dead-lettered order.created of `orderId` (looked at without taking it). */
  async function deadLetterIdOf(orderId: string): Promise<string> {
    const channel = await broker.createChannel();
    try {
      const messages: GetMessage[] = [];
      for (let message = await channel.get(DLQ); message; message = await channel.get(DLQ)) messages.push(message);
      const found = messages.find((message) => message.content.toString('utf8').includes(orderId));
      if (!found) throw new Error(`No dead letter of order ${orderId} in ${DLQ}`);
      return String(found.properties.messageId);
    } finally {
      await channel.close();
    }
  }

  const section = (): Locator => page.locator(`section.dlq[data-queue="${DLQ}"]`);
  const total = (): Locator => section().getByTestId('dlq-total');
  const groupRow = (errorType: string): Locator => section().locator('table').first().locator('tbody tr', { hasText: errorType });

  async function signIn(token: string): Promise<void> {
    const input = page.getByLabel('Admin token');
    await input.focus();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
  }

  browserTest(
    'without the token only the sign-in page shows, and the API answers 401',
    () => page,
    async () => {
      for (const path of ['/admin/api/overview', '/admin/api/dead-letters', `/admin/api/dead-letters/${DLQ}/messages/x`]) {
        const response = await notifications.fetch(path);
        expect(response.status).toBe(401);
      }
      const wrong = await notifications.fetch('/admin/api/overview', { headers: { authorization: 'Bearer not-the-token' } });
      expect(wrong.status).toBe(401);

      const response = await page.goto(`${notifications.baseUrl}/admin`);
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect(await page.locator('#app').isHidden()).toBe(true);

      await signIn('not-the-token');
      await page.getByText('The token was refused').waitFor();
      expect(await page.locator('#app').isHidden()).toBe(true);
      expect(await page.content()).not.toContain(DLQ);
    },
    30_000,
  );

  browserTest(
    'signs in with the keyboard and shows the queues, the outbox and the circuit breaker',
    () => page,
    async () => {
      await signIn(TOKEN);
      await page.getByRole('heading', { name: 'Queues' }).waitFor();
      const queueRow = page.locator('#queues tbody tr', { hasText: QUEUE });
      await queueRow.waitFor();
      expect(await queueRow.locator('td').nth(1).textContent()).toBe('1'); // one consumer: this process
      await page.locator('#circuits tbody tr', { hasText: 'email-provider' }).getByText('closed').waitFor();
      await page.getByTestId('outbox-pending').waitFor();
      expect(await page.locator('#sagas').textContent()).toMatch(/Not reported/);
    },
    30_000,
  );

  browserTest(
    'shows the dead letters grouped by error type, and opens the one of a reject@example.test order with its e-mail masked',
    () => page,
    async () => {
      // Live: the page is not reloaded; the exhausted one arrives after its retries.
      await groupRow('permanent').waitFor();
      await groupRow('validation').waitFor();
      await groupRow('exhausted').waitFor({ timeout: 25_000 });
      await expectText(total(), '3');
      expect(await groupRow('permanent').locator('td').first().textContent()).toBe('1');

      const rejectedId = await deadLetterIdOf(rejectedOrder);
      await groupRow('permanent').getByRole('button', { name: 'Show 1 message' }).click();
      await section().getByRole('button', { name: rejectedId }).click();
      const body = page.getByTestId('message-body');
      await body.waitFor();
      expect(await page.locator('#message-title').evaluate((element) => element === document.activeElement)).toBe(true);
      const text = await body.textContent();
      expect(text).toContain(rejectedOrder);
      expect(text).toContain('r***t@example.test');
      expect(text).not.toContain('reject@example.test');
      expect(await page.getByTestId('message-stack').textContent()).toMatch(/ProviderRejectedError/);
      expect(await page.locator('#message-content').textContent()).toMatch(/The provider refused the recipient/);

      const screenshot = process.env.ADMIN_CONSOLE_SCREENSHOT;
      if (screenshot) {
        const path = resolve(__dirname, '..', screenshot);
        mkdirSync(dirname(path), { recursive: true });
        await groupRow('exhausted').getByRole('button', { name: 'Show 1 message' }).click();
        await page.setViewportSize({ width: 1280, height: 1500 });
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path });
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    },
    45_000,
  );

  browserTest(
    'refuses an edited body that breaks the contract, with the reasons, and sends nothing',
    () => page,
    async () => {
      await page.getByRole('button', { name: 'Edit and replay…' }).click();
      const editor = page.getByLabel(/Message body \(JSON\), checked against order\.created v1/);
      const edited = JSON.parse(await editor.inputValue()) as Record<string, unknown>;
      await editor.fill(JSON.stringify({ ...edited, orderId: 'not-a-uuid', total: 'free' }, null, 2));
      await page.getByRole('button', { name: 'Check and replay' }).click();
      const errors = page.locator('#edit-errors');
      await errors.getByText('Not sent: the edited body was refused.').waitFor();
      const reasons = await errors.textContent();
      expect(reasons).toMatch(/orderId: orderId must be a UUID/);
      expect(reasons).toMatch(/total/);
      await new Promise((done) => setTimeout(done, 500));
      await expectText(total(), '3');
    },
  );

  browserTest(
    'replays an edited body that keeps the contract: the count drops and the order is notified at the new address',
    () => page,
    async () => {
      // Edited again from the dead letter as shown (masked), not from the refused edit.
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('button', { name: 'Edit and replay…' }).click();
      const editor = page.getByLabel(/Message body \(JSON\)/);
      const edited = JSON.parse(await editor.inputValue()) as { email: string; notification: Record<string, unknown> };
      // The masked e-mail (edited.email) stays as shown, so it keeps its original value; the address is changed.
      expect(edited.email).toBe('r***t@example.test');
      edited.notification = { ...edited.notification, address: 'fixed@example.test' };
      await editor.fill(JSON.stringify(edited, null, 2));
      await page.getByRole('button', { name: 'Check and replay' }).click();
      await page
        .locator('#announcer')
        .getByText(/Replayed .* with the edited body: 1 message sent back/)
        .waitFor();
      await expectText(total(), '2');
      await eventually(async () => (await listNotifications(notifications, rejectedOrder)).length === 1, 'the edited order notified');
      const [sent] = await listNotifications(notifications, rejectedOrder);
      expect(sent.recipient).toBe('fixed@example.test');
    },
    30_000,
  );

  browserTest(
    'replays a whole group: the count drops and the order whose retries ran out is notified',
    () => page,
    async () => {
      await groupRow('exhausted').getByRole('button', { name: 'Replay group' }).click();
      await page.locator('#announcer').getByText('Replayed the exhausted group: 1 message sent back').waitFor();
      await expectText(total(), '1');
      await eventually(async () => (await listNotifications(notifications, exhaustedOrder)).length === 1, 'the replayed order notified');
      expect(await groupRow('exhausted').count()).toBe(0);
    },
    30_000,
  );

  browserTest(
    'renders a dead letter whose id, body and headers hold <script> and HTML as text: nothing runs, nothing is injected',
    () => page,
    async () => {
      await groupRow('validation').getByRole('button', { name: 'Show 1 message' }).click();
      await section().getByRole('button', { name: HOSTILE_ID }).click();
      const body = page.getByTestId('message-body');
      await body.waitFor();
      expect(await body.textContent()).toContain(HOSTILE_BODY.orderId);
      expect(await page.locator('#message-content').textContent()).toContain(HOSTILE_HEADER);
      expect(await page.locator('#message-title').textContent()).toBe(`Dead letter ${HOSTILE_ID}`);
      await new Promise((done) => setTimeout(done, 300));
      expect(dialogs).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
      expect(await page.locator('img, #injected, #injected-link, main script').count()).toBe(0);
    },
  );

  browserTest(
    'purges the queue only after the confirmation',
    () => page,
    async () => {
      const purge = section().getByRole('button', { name: 'Purge queue…' });
      await purge.click();
      const dialog = page.getByRole('dialog', { name: 'Purge dead letters?' });
      await dialog.waitFor();
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(await purge.evaluate((element) => element === document.activeElement)).toBe(true);
      await expectText(total(), '1');

      await purge.click();
      await dialog.getByRole('button', { name: 'Purge' }).click();
      await page.locator('#announcer').getByText(`Purged 1 dead letter of ${DLQ}.`).waitFor();
      await expectText(total(), '0');
      await section().getByText('No dead letters.').waitFor();
    },
  );

  it('never puts the token in an address or a log line, and logs the Authorization header redacted', async () => {
    expect(requestedUrls.length).toBeGreaterThan(10);
    for (const url of requestedUrls) expect(url).not.toContain(TOKEN);
    for (const service of [orders, notifications]) expect(service.logs).not.toContain(TOKEN);
    const signInLine = notifications.logs
      .split('\n')
      .find((line) => line.includes('/admin/api/session') && line.includes('"authorization"'));
    expect(signInLine).toMatch(/"authorization":"\*\*\*"/);
  });
});

/** Waits until the locator's text is `expected` (bounded by the page's timeout). */
async function expectText(locator: Locator, expected: string): Promise<void> {
  await locator.filter({ hasText: new RegExp(`^${expected}$`) }).waitFor();
}

async function eventually(predicate: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
