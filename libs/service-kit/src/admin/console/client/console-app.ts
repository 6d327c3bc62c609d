/* istanbul ignore file -- runs in the browser, served as its own source text (see console-script.ts) */
// Runs in the browser: the admin console's page script. Signs in with the admin token (kept in this tab's
// sessionStorage, sent as a bearer header, never in a URL), polls the JSON API, renders the overview (queues, outbox,
// circuits, sagas) and hands the dead letters to their views (dead-letter-views.ts). Self-contained: the function is
// served as its source text, so it refers to nothing outside itself but its arguments.
import type { DeadLetterQueueView } from '../console-dead-letters';
import type { ConsoleOverview, QueueView } from '../console-overview';
import type { ConsoleDom } from './console-dom';
import type { deadLetterViews } from './dead-letter-views';

export function consoleApp(dom: ConsoleDom, makeDeadLetterViews: typeof deadLetterViews): void {
  const { h, table, render, time, count, perSecond, milliseconds, duration } = dom;
  const TOKEN_KEY = 'admin-console-token';
  const base = document.body.dataset.base ?? '/admin';
  const byId = (id: string): HTMLElement => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`#${id} is missing from the page`);
    return element;
  };
  const signIn = byId('sign-in');
  const app = byId('app');
  const signOutButton = byId('sign-out') as HTMLButtonElement;
  const tokenInput = byId('token') as HTMLInputElement;
  const signInError = byId('sign-in-error');
  const announcer = byId('announcer');
  const problem = byId('problem');
  const updated = byId('updated');

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) ?? '',
    pollMs: 2000,
    timer: undefined as number | undefined,
    polling: false,
    shown: { queues: '', outbox: '', circuits: '', sagas: '' } as Record<string, string>,
  };

  class SignedOut extends Error {}

  async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${base}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${state.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
    const data = (await response.json().catch(() => ({}))) as { message?: unknown };
    if (response.status === 401) {
      signOut('The token was refused. Sign in again.');
      throw new SignedOut();
    }
    if (!response.ok) {
      const message = Array.isArray(data.message)
        ? data.message.join('; ')
        : typeof data.message === 'string'
          ? data.message
          : `${response.status} ${response.statusText}`;
      throw Object.assign(new Error(message), { status: response.status, data });
    }
    return data as T;
  }

  // ----- signing in and out -----

  async function start(): Promise<void> {
    if (!state.token) return showSignIn();
    try {
      const session = await api<{ service: string; pollMs: number }>('GET', '/session');
      state.pollMs = session.pollMs;
      signIn.hidden = true;
      app.hidden = false;
      signOutButton.hidden = false;
      await poll();
    } catch (error) {
      if (!(error instanceof SignedOut)) showSignIn(`The console could not reach the service: ${(error as Error).message}`);
    }
  }

  function showSignIn(message = ''): void {
    window.clearTimeout(state.timer);
    app.hidden = true;
    signOutButton.hidden = true;
    signIn.hidden = false;
    signInError.textContent = message;
    tokenInput.focus();
  }

  function signOut(message = ''): void {
    state.token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    for (const key of Object.keys(state.shown)) state.shown[key] = '';
    deadLetters.reset();
    showSignIn(message);
  }

  byId('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.token = tokenInput.value.trim();
    tokenInput.value = '';
    if (!state.token) return showSignIn('Enter the admin token.');
    sessionStorage.setItem(TOKEN_KEY, state.token);
    void start();
  });
  signOutButton.addEventListener('click', () => signOut('Signed out.'));

  // ----- live updates -----

  async function poll(): Promise<void> {
    window.clearTimeout(state.timer);
    if (state.polling || !state.token) return;
    state.polling = true;
    try {
      const [overview, deadLetterQueues] = await Promise.all([
        api<ConsoleOverview>('GET', '/overview'),
        api<{ queues: DeadLetterQueueView[] }>('GET', '/dead-letters'),
      ]);
      showOverview(overview);
      deadLetters.showDeadLetters(deadLetterQueues.queues);
      problem.textContent = '';
      updated.textContent = `Updated ${new Date(overview.generatedAt).toLocaleTimeString()}`;
    } catch (error) {
      if (error instanceof SignedOut) return;
      problem.textContent = `Could not refresh: ${(error as Error).message}`;
    } finally {
      state.polling = false;
    }
    if (state.token && !document.hidden) state.timer = window.setTimeout(() => void poll(), state.pollMs);
  }

  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && state.token && !app.hidden) void poll();
  });

  /** Renders a section again only when its data changed, so that focus and scrolling stay where they are. */
  function update(section: string, data: unknown, draw: () => void): void {
    const json = JSON.stringify(data);
    if (state.shown[section] === json) return;
    state.shown[section] = json;
    draw();
  }

  // ----- the overview: queues, outbox, circuits, sagas -----

  function showOverview(overview: ConsoleOverview): void {
    update('queues', { queues: overview.queues, window: overview.rateWindowSeconds, broker: overview.brokerConnected }, () => {
      const caption =
        overview.rateWindowSeconds === undefined
          ? 'Rates need MetricsModule.'
          : `Rates and latency over the last ${overview.rateWindowSeconds} s.`;
      render(
        byId('queues'),
        overview.brokerConnected ? null : h('p', { class: 'warning' }, 'Not connected to the broker.'),
        h('p', { class: 'caption' }, caption),
        table(
          'Queues of this service',
          ['Queue', 'Ready', 'Consumers', 'Dead letters', 'Consumed/s', 'Failed/s', 'Latency p50', 'Latency p95'],
          overview.queues.map((queue: QueueView) => [
            h('span', {}, queue.queue, queue.problem ? h('span', { class: 'note' }, ` (${queue.problem})`) : null),
            count(queue.ready),
            count(queue.consumers),
            h('span', { class: queue.deadLetters ? 'bad' : '' }, count(queue.deadLetters)),
            perSecond(queue.consumedPerSecond),
            h('span', { class: queue.failedPerSecond ? 'bad' : '' }, perSecond(queue.failedPerSecond)),
            milliseconds(queue.latency?.p50Ms),
            milliseconds(queue.latency?.p95Ms),
          ]),
        ),
      );
    });
    update('outbox', overview.outbox, () => {
      const outbox = overview.outbox;
      render(
        byId('outbox'),
        !outbox.reported
          ? h('p', { class: 'note' }, `Not reported: ${outbox.how}.`)
          : 'problem' in outbox
            ? h('p', { class: 'warning' }, `Could not be read: ${outbox.problem}`)
            : h(
                'dl',
                {},
                h('dt', {}, 'Pending rows'),
                h('dd', { 'data-testid': 'outbox-pending' }, count(outbox.pending)),
                h('dt', {}, 'Oldest pending row'),
                h('dd', {}, outbox.pending === 0 ? 'none' : `${duration(outbox.oldestAgeSeconds)} old`),
              ),
      );
    });
    update('circuits', overview.circuits, () => {
      const circuits = overview.circuits;
      render(
        byId('circuits'),
        !circuits.reported
          ? h('p', { class: 'note' }, `Not reported: ${circuits.how}.`)
          : 'problem' in circuits
            ? h('p', { class: 'warning' }, circuits.problem)
            : circuits.circuits.length === 0
              ? h('p', { class: 'note' }, 'This service reports no circuit breakers.')
              : table(
                  'Circuit breakers',
                  ['Circuit', 'State', 'Since'],
                  circuits.circuits.map((circuit) => [
                    circuit.name,
                    h('span', { class: `state state-${circuit.state}` }, circuit.state),
                    time(circuit.since),
                  ]),
                ),
      );
    });
    update('sagas', overview.sagas, () => {
      const sagas = overview.sagas;
      render(
        byId('sagas'),
        !sagas.reported
          ? h('p', { class: 'note' }, `Not reported: ${sagas.how}.`)
          : 'problem' in sagas
            ? h('p', { class: 'warning' }, sagas.problem)
            : sagas.total === 0
              ? h('p', { class: 'note' }, 'No saga in flight.')
              : [
                  h(
                    'p',
                    { class: 'caption' },
                    `${count(sagas.total)} in flight${sagas.total > sagas.sagas.length ? `, the oldest ${sagas.sagas.length} shown` : ''}.`,
                  ),
                  table(
                    'Sagas in flight',
                    ['Saga', 'Type', 'State', 'Waiting for', 'Started', 'Updated'],
                    sagas.sagas.map((saga) => [
                      saga.id,
                      saga.type,
                      saga.state,
                      saga.waitingFor ?? '–',
                      time(saga.startedAt),
                      time(saga.updatedAt),
                    ]),
                  ),
                ],
      );
    });
  }

  function announce(text: string): void {
    announcer.textContent = text;
  }

  const deadLetters = makeDeadLetterViews(dom, { api, poll, announce, byId, isSignedOut: (error) => error instanceof SignedOut });
  void start();
}
