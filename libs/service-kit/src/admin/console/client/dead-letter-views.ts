/* istanbul ignore file -- runs in the browser, served as its own source text (see console-script.ts) */
// Runs in the browser: the dead letters part of the admin console's page. Lists them by queue and error type, shows
// one, and replays (one, a selection, a group), edits and replays, and purges, through the page's API client.
// Self-contained: the function is served as its source text, so it refers to nothing outside itself but its arguments.
import type { DeadLetterSummary, ReplayResult, ValidationIssue } from '@app/messaging';
import type { DeadLetterQueueView, DeadLetterView } from '../console-dead-letters';
import type { DeadLetterGroupView } from '../dead-letter-groups';
import type { Child, ConsoleDom } from './console-dom';

/** What the page gives the dead-letter views: its API client (signed in), its refresh and its announcements. */
export interface ConsolePage {
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Refreshes everything now. */
  poll(): Promise<void>;
  /** Says `text` in the page's status line (a polite live region). */
  announce(text: string): void;
  byId(id: string): HTMLElement;
  /** The error a request threw because the token was refused (the page has signed out already). */
  isSignedOut(error: unknown): boolean;
}

export function deadLetterViews(dom: ConsoleDom, app: ConsolePage) {
  const { h, table, render, time, count } = dom;
  const purgeDialog = app.byId('confirm-purge') as HTMLDialogElement;
  const view = {
    deadLetters: [] as DeadLetterQueueView[],
    selected: new Set<string>(),
    expanded: new Set<string>(),
    open: undefined as { queue: string; messageId: string; opener?: string } | undefined,
    purgeQueue: '',
    /** What the list shows now, as JSON: drawn again only when it changes, so that focus and scrolling stay. */
    shown: '',
  };
  const shownOf = (): string => JSON.stringify({ queues: view.deadLetters, selected: [...view.selected], expanded: [...view.expanded] });

  const letterKey = (queue: string, messageId: string): string => `${queue}\u0000${messageId}`;
  const groupKey = (queue: string, errorType: string): string => `${queue}\u0000${errorType}`;

  function showDeadLetters(queues: DeadLetterQueueView[]): void {
    view.deadLetters = queues;
    const present = new Set(
      queues.flatMap((queue) => queue.groups.flatMap((group) => group.letters.map((l) => letterKey(queue.queue, l.messageId)))),
    );
    for (const key of view.selected) if (!present.has(key)) view.selected.delete(key);
    if (view.shown === shownOf()) return;
    drawDeadLetters();
  }

  function drawDeadLetters(): void {
    view.shown = shownOf();
    render(
      app.byId('dead-letters'),
      view.deadLetters.map((queue) => deadLetterQueue(queue)),
    );
  }

  function deadLetterQueue(queue: DeadLetterQueueView): HTMLElement {
    const selected = [...view.selected].filter((key) => key.startsWith(`${queue.queue}\u0000`)).map((key) => key.split('\u0000')[1]);
    const headingId = `dlq-${queue.queue.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    return h(
      'section',
      { class: 'dlq', 'aria-labelledby': headingId, 'data-queue': queue.queue },
      h('h3', { id: headingId }, queue.queue, ' ', h('span', { class: 'badge', 'data-testid': 'dlq-total' }, count(queue.total))),
      queue.problem ? h('p', { class: 'warning' }, queue.problem) : null,
      queue.truncated ? h('p', { class: 'note' }, `Showing the first ${count(queue.browsed)} of ${count(queue.total)}.`) : null,
      queue.total === 0 && !queue.problem
        ? h('p', { class: 'note' }, 'No dead letters.')
        : [
            h(
              'div',
              { class: 'toolbar' },
              h(
                'button',
                {
                  type: 'button',
                  'data-key': `replay-selected:${queue.queue}`,
                  disabled: selected.length === 0,
                  onclick: () => void replay(queue.queue, { ids: selected }, `${selected.length} selected`),
                },
                `Replay selected (${selected.length})`,
              ),
              h(
                'button',
                { type: 'button', class: 'danger', 'data-key': `purge:${queue.queue}`, onclick: () => confirmPurge(queue) },
                'Purge queue…',
              ),
            ),
            table(
              `Dead letters of ${queue.queue} by error type`,
              ['Error type', 'Count', 'First failure', 'Last failure', 'Error', 'Actions'],
              queue.groups.map((group) => groupRow(queue, group)),
            ),
            queue.groups.filter((group) => view.expanded.has(groupKey(queue.queue, group.errorType))).map((group) => letters(queue, group)),
          ],
    );
  }

  function groupRow(queue: DeadLetterQueueView, group: DeadLetterGroupView): Child[] {
    const key = groupKey(queue.queue, group.errorType);
    const open = view.expanded.has(key);
    return [
      h('span', { class: 'error-type' }, group.errorType),
      count(group.count),
      time(group.firstFailedAt),
      time(group.lastFailedAt),
      group.errorMessages.map((message) => h('span', { class: 'error-message', title: message }, shorten(message))),
      h(
        'span',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            'aria-expanded': String(open),
            'data-key': `toggle:${key}`,
            onclick: () => {
              if (open) view.expanded.delete(key);
              else view.expanded.add(key);
              drawDeadLetters();
            },
          },
          open ? `Hide messages` : `Show ${group.count} message${group.count === 1 ? '' : 's'}`,
        ),
        h(
          'button',
          {
            type: 'button',
            'data-key': `replay-group:${key}`,
            onclick: () => void replay(queue.queue, { errorType: group.errorType }, `the ${group.errorType} group`),
          },
          'Replay group',
        ),
      ),
    ];
  }

  function letters(queue: DeadLetterQueueView, group: DeadLetterGroupView): HTMLElement {
    return h(
      'div',
      { class: 'letters' },
      h('h4', {}, `${group.errorType} in ${queue.queue}`),
      table(
        `Dead letters of ${queue.queue} failed with ${group.errorType}`,
        ['Select', 'Message id', 'Type', 'Attempts', 'Last failure', 'Error'],
        group.letters.map((letter: DeadLetterSummary) => {
          const key = letterKey(queue.queue, letter.messageId);
          return [
            h('input', {
              type: 'checkbox',
              'aria-label': `Select ${letter.messageId}`,
              'data-key': `select:${key}`,
              checked: view.selected.has(key),
              onchange: (event: Event) => {
                if ((event.target as HTMLInputElement).checked) view.selected.add(key);
                else view.selected.delete(key);
                drawDeadLetters();
              },
            }),
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                'data-key': `open:${key}`,
                onclick: () => void openMessage(queue.queue, letter.messageId, `open:${key}`),
              },
              letter.messageId || '(no id)',
            ),
            letter.messageType,
            count(letter.attempts),
            time(letter.lastFailedAt),
            h('span', { class: 'error-message', title: letter.errorMessage }, shorten(letter.errorMessage)),
          ];
        }),
        1,
      ),
    );
  }

  async function replay(queue: string, selector: { ids?: string[]; errorType?: string; all?: boolean }, what: string): Promise<void> {
    try {
      const result = await app.api<ReplayResult>('POST', `/dead-letters/${encodeURIComponent(queue)}/replay`, selector);
      for (const id of selector.ids ?? []) view.selected.delete(letterKey(queue, id));
      app.announce(replayText(result, `Replayed ${what}`));
      if (view.open?.queue === queue && (selector.ids?.includes(view.open.messageId) ?? true)) closeMessage(false);
    } catch (error) {
      if (!app.isSignedOut(error)) app.announce(`Replay failed: ${(error as Error).message}`);
    }
    await app.poll();
  }

  function replayText(result: ReplayResult, what: string): string {
    const parts = [`${what}: ${result.replayed} message${result.replayed === 1 ? '' : 's'} sent back to their queue.`];
    if (result.skipped > 0) parts.push(`${result.skipped} skipped (${result.skips.map((skip) => skip.reason).join('; ')}).`);
    if (result.notFound.length > 0) parts.push(`${result.notFound.length} no longer there.`);
    return parts.join(' ');
  }

  function confirmPurge(queue: DeadLetterQueueView): void {
    view.purgeQueue = queue.queue;
    app.byId('confirm-text').textContent = `Delete all ${count(queue.total)} dead letters of ${queue.queue}? This cannot be undone.`;
    purgeDialog.showModal();
    app.byId('confirm-cancel').focus();
  }

  app.byId('confirm-cancel').addEventListener('click', () => purgeDialog.close('cancel'));
  app.byId('confirm-ok').addEventListener('click', () => purgeDialog.close('purge'));
  purgeDialog.addEventListener('close', () => {
    const queue = view.purgeQueue;
    const opener = document.querySelector<HTMLElement>(`[data-key="purge:${CSS.escape(queue)}"]`);
    if (purgeDialog.returnValue !== 'purge') return opener?.focus();
    void (async () => {
      try {
        const result = await app.api<{ purged: number }>('DELETE', `/dead-letters/${encodeURIComponent(queue)}?confirm=true`);
        app.announce(`Purged ${result.purged} dead letter${result.purged === 1 ? '' : 's'} of ${queue}.`);
        if (view.open?.queue === queue) closeMessage(false);
      } catch (error) {
        if (!app.isSignedOut(error)) app.announce(`Purge failed: ${(error as Error).message}`);
      }
      await app.poll();
      app.byId('dead-letters-title').focus();
    })();
  });

  // ----- one dead letter -----

  async function openMessage(queue: string, messageId: string, opener?: string): Promise<void> {
    view.open = { queue, messageId, opener };
    const section = app.byId('message');
    try {
      const letter = await app.api<DeadLetterView>(
        'GET',
        `/dead-letters/${encodeURIComponent(queue)}/messages/${encodeURIComponent(messageId)}`,
      );
      section.hidden = false;
      render(app.byId('message-content'), messageView(letter));
      app.byId('message-title').textContent = `Dead letter ${letter.messageId}`;
      app.byId('message-title').focus();
    } catch (error) {
      if (!app.isSignedOut(error)) app.announce(`Could not open ${messageId}: ${(error as Error).message}`);
    }
  }

  function closeMessage(restoreFocus = true): void {
    const opener = view.open?.opener;
    view.open = undefined;
    app.byId('message').hidden = true;
    render(app.byId('message-content'));
    if (!restoreFocus) return;
    const back = opener ? [...document.querySelectorAll<HTMLElement>('[data-key]')].find((el) => el.dataset.key === opener) : undefined;
    (back ?? app.byId('dead-letters-title')).focus();
  }

  function messageView(letter: DeadLetterView): Child[] {
    const facts: Array<[string, Child]> = [
      ['Queue', letter.queue],
      ['Type', letter.properties.type ?? '–'],
      ['Error type', letter.headers['x-error-type'] ?? '–'],
      ['Error', letter.headers['x-error-message'] ?? '–'],
      ['Attempts', letter.headers['x-attempts'] ?? '–'],
      ['First failure', time(letter.headers['x-first-failed-at'])],
      ['Last failure', time(letter.headers['x-last-failed-at'])],
    ];
    return [
      h(
        'dl',
        { class: 'facts' },
        facts.map(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
      ),
      h(
        'div',
        { class: 'toolbar' },
        h('button', { type: 'button', onclick: () => void replay(letter.queue, { ids: [letter.messageId] }, letter.messageId) }, 'Replay'),
        letter.bodyIsJson && letter.contract
          ? h('button', { type: 'button', 'aria-controls': 'edit-form', onclick: () => showEditor(letter) }, 'Edit and replay…')
          : null,
        h('button', { type: 'button', onclick: () => closeMessage() }, 'Close'),
      ),
      h('div', { id: 'editor' }),
      h('h3', {}, 'Body'),
      h('p', { class: 'note' }, 'Personal data (@Sensitive fields, e-mail addresses) is masked.'),
      h('pre', { class: 'body', 'data-testid': 'message-body', tabindex: 0 }, letter.body),
      h('h3', {}, 'Headers'),
      table(
        'Headers',
        ['Header', 'Value'],
        Object.entries(letter.headers).map(([name, value]) => [name, h('span', { class: 'value' }, value)]),
      ),
      h('h3', {}, 'Stack'),
      h('pre', { class: 'stack', 'data-testid': 'message-stack', tabindex: 0 }, letter.errorStack ?? '(none)'),
      h('h3', {}, 'Properties'),
      table(
        'AMQP properties',
        ['Property', 'Value'],
        Object.entries(letter.properties).map(([name, value]) => [name, h('span', { class: 'value' }, value)]),
      ),
    ];
  }

  function showEditor(letter: DeadLetterView): void {
    const contract = letter.contract;
    if (!contract) return;
    const errors = h('div', { id: 'edit-errors', role: 'alert' });
    const textarea = h('textarea', {
      id: 'edit-body',
      rows: 14,
      spellcheck: 'false',
      'aria-describedby': 'edit-hint',
    }) as HTMLTextAreaElement;
    textarea.value = letter.body;
    const form = h(
      'form',
      {
        id: 'edit-form',
        onsubmit: (event: Event) => {
          event.preventDefault();
          void submitEdit(letter, textarea.value, errors);
        },
      },
      h(
        'label',
        { for: 'edit-body' },
        `Message body (JSON), checked against ${contract.messageType} v${contract.schemaVersion} (${contract.handler})`,
      ),
      textarea,
      h('p', { id: 'edit-hint', class: 'note' }, 'Masked values left as they are keep their original value.'),
      errors,
      h(
        'div',
        { class: 'toolbar' },
        h('button', { type: 'submit' }, 'Check and replay'),
        h('button', { type: 'button', onclick: () => render(app.byId('editor')) }, 'Cancel'),
      ),
    );
    render(app.byId('editor'), form);
    textarea.focus();
  }

  async function submitEdit(letter: DeadLetterView, text: string, errors: HTMLElement): Promise<void> {
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Sent as text: the service says why it is not JSON.
    }
    try {
      const result = await app.api<ReplayResult>(
        'POST',
        `/dead-letters/${encodeURIComponent(letter.queue)}/messages/${encodeURIComponent(letter.messageId)}/replay-edited`,
        { body },
      );
      app.announce(replayText(result, `Replayed ${letter.messageId} with the edited body`));
      closeMessage();
      await app.poll();
    } catch (error) {
      if (app.isSignedOut(error)) return;
      const issues = ((error as { data?: { issues?: ValidationIssue[] } }).data?.issues ?? []).filter((issue) => issue && issue.path);
      render(
        errors,
        h('p', {}, 'Not sent: the edited body was refused.'),
        issues.length === 0
          ? h('p', {}, (error as Error).message)
          : h(
              'ul',
              { class: 'issues' },
              issues.map((issue) => h('li', {}, h('code', {}, issue.path), `: ${issue.reasons.join(', ')}`)),
            ),
      );
    }
  }

  /** A long error text cut for a table row (the whole is its title, and in the dead letter's own view). */
  function shorten(text: string, max = 160): string {
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }

  /** Forgets what it showed (signing out). */
  function reset(): void {
    view.shown = '';
    view.selected.clear();
    closeMessage(false);
  }

  return { showDeadLetters, closeMessage, reset };
}

export type DeadLetterViews = ReturnType<typeof deadLetterViews>;
