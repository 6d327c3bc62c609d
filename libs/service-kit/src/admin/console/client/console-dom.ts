/* istanbul ignore file -- runs in the browser, served as its own source text (see console-script.ts) */
// Runs in the browser: small helpers that build DOM nodes. Text only ever goes in as text nodes and attribute values
// (never as HTML), so whatever a dead letter holds (`<script>`, markup) renders inert. Self-contained: the function is
// served as its source text, so it refers to nothing outside itself.

export type Child = Node | string | number | null | undefined | false | Child[];
export type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function consoleDom() {
  /** An element with attributes (`on<event>` ones become listeners; true is present, false/null/undefined absent) and children. */
  function h(tag: string, attributes: Attributes = {}, ...children: Child[]): HTMLElement {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
      else if (value === true) element.setAttribute(name, '');
      else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
    }
    append(element, children);
    return element;
  }

  function append(parent: Node, children: Child[]): void {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(parent, child);
      else parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
  }

  /** A table with a (visually hidden) caption, column headers and rows; the cells of column `rowHeader` are row headers. */
  function table(caption: string, headers: string[], rows: Child[][], rowHeader = 0): HTMLElement {
    return h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((header) => h('th', { scope: 'col' }, header)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((cells) =>
          h(
            'tr',
            {},
            cells.map((cell, index) => (index === rowHeader ? h('th', { scope: 'row' }, cell) : h('td', {}, cell))),
          ),
        ),
      ),
    );
  }

  /** Replaces a container's content, keeping the keyboard focus on the element of the same data-key if it had it. */
  function render(container: HTMLElement, ...children: Child[]): void {
    const active = document.activeElement;
    const focusedKey = active instanceof HTMLElement && container.contains(active) ? active.dataset.key : undefined;
    const fragment = document.createDocumentFragment();
    append(fragment, children);
    container.replaceChildren(fragment);
    if (focusedKey === undefined) return;
    for (const candidate of container.querySelectorAll<HTMLElement>('[data-key]')) {
      if (candidate.dataset.key === focusedKey) {
        candidate.focus();
        return;
      }
    }
  }

  function time(iso: string | undefined): Child {
    if (!iso) return '–';
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : h('time', { datetime: iso }, date.toLocaleString());
  }

  function count(value: number | undefined): string {
    return value === undefined ? '–' : value.toLocaleString();
  }

  function perSecond(value: number | undefined): string {
    if (value === undefined) return '–';
    return value === 0 ? '0' : value < 0.1 ? value.toFixed(3) : value.toFixed(1);
  }

  function milliseconds(value: number | undefined): string {
    if (value === undefined) return '–';
    return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
  }

  function duration(seconds: number): string {
    if (seconds < 60) return `${seconds.toFixed(1)} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
    return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  }

  return { h, table, render, time, count, perSecond, milliseconds, duration };
}

export type ConsoleDom = ReturnType<typeof consoleDom>;
