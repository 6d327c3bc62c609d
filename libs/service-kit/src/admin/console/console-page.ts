// The admin console's page: a static shell (sign-in form, the sections the script fills, the purge dialog) that holds
// no data, and its style sheet. The script renders everything else from the JSON API.

/** Text for HTML content and attribute values (double-quoted). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** `base` is the console's own path (`/admin`, or under a global prefix). */
export function consolePage(service: string, base: string): string {
  const name = escapeHtml(service);
  const root = escapeHtml(base);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · admin console</title>
<link rel="stylesheet" href="${root}/assets/console.css">
<script src="${root}/assets/console.js" defer></script>
</head>
<body data-base="${root}">
<header class="bar">
  <h1><span class="service">${name}</span> admin console</h1>
  <p id="updated" class="updated"></p>
  <button id="sign-out" type="button" hidden>Sign out</button>
</header>
<main id="main">
  <noscript><p class="warning">The console needs JavaScript.</p></noscript>
  <section id="sign-in" class="sign-in" aria-labelledby="sign-in-title" hidden>
    <h2 id="sign-in-title">Sign in</h2>
    <form id="sign-in-form" autocomplete="off">
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" aria-describedby="token-hint sign-in-error">
      <button type="submit">Sign in</button>
      <p id="sign-in-error" class="error" role="alert"></p>
    </form>
    <p id="token-hint" class="note">The service's <code>ADMIN_TOKEN</code>. This tab keeps it (sessionStorage) until you sign out or close it, and sends it as a bearer header; it never goes in an address.</p>
  </section>
  <div id="app" hidden>
    <p id="announcer" class="announcer" role="status" aria-live="polite"></p>
    <p id="problem" class="warning" role="alert"></p>
    <section aria-labelledby="queues-title">
      <h2 id="queues-title">Queues</h2>
      <div id="queues"></div>
    </section>
    <div class="columns">
      <section aria-labelledby="outbox-title">
        <h2 id="outbox-title">Outbox</h2>
        <div id="outbox"></div>
      </section>
      <section aria-labelledby="circuits-title">
        <h2 id="circuits-title">Circuit breakers</h2>
        <div id="circuits"></div>
      </section>
      <section aria-labelledby="sagas-title">
        <h2 id="sagas-title">Sagas in flight</h2>
        <div id="sagas"></div>
      </section>
    </div>
    <section aria-labelledby="dead-letters-title">
      <h2 id="dead-letters-title" tabindex="-1">Dead letters</h2>
      <div id="dead-letters"></div>
    </section>
    <section id="message" class="message" aria-labelledby="message-title" hidden>
      <h2 id="message-title" tabindex="-1">Dead letter</h2>
      <div id="message-content"></div>
    </section>
  </div>
  <dialog id="confirm-purge" aria-labelledby="confirm-title" aria-describedby="confirm-text">
    <h2 id="confirm-title">Purge dead letters?</h2>
    <p id="confirm-text"></p>
    <div class="toolbar">
      <button id="confirm-cancel" type="button">Cancel</button>
      <button id="confirm-ok" type="button" class="danger">Purge</button>
    </div>
  </dialog>
</main>
</body>
</html>
`;
}

export const CONSOLE_CSS = `:root {
  color-scheme: light;
  --ink: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa; --accent: #0b5cad;
  --bad: #b42318; --warn: #8a5300; --good: #1a7f37;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink);
}
* { box-sizing: border-box; }
body { margin: 0; background: #fff; }
.bar { display: flex; align-items: center; gap: 1rem; padding: 0.6rem 1.25rem; background: #0d2a4a; color: #fff; }
.bar h1 { font-size: 1.15rem; margin: 0; font-weight: 600; }
.bar .service { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.bar .updated { margin: 0 0 0 auto; font-size: 0.85rem; opacity: 0.85; }
.bar button { background: transparent; color: #fff; border-color: #8fb3d9; }
main { padding: 1rem 1.25rem 2rem; max-width: 1400px; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
h3 { font-size: 1rem; margin: 1rem 0 0.4rem; }
h4 { font-size: 0.95rem; margin: 0.75rem 0 0.3rem; }
table { border-collapse: collapse; width: 100%; margin: 0.25rem 0 0.75rem; }
th, td { text-align: left; padding: 0.35rem 0.6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; font-size: 0.85rem; color: var(--muted); }
tbody th { font-weight: 500; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; word-break: break-all; }
td { font-variant-numeric: tabular-nums; }
button { font: inherit; padding: 0.3rem 0.75rem; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); color: var(--ink); cursor: pointer; }
button:hover:not([disabled]) { border-color: var(--accent); }
button[disabled] { opacity: 0.55; cursor: not-allowed; }
button.danger { color: var(--bad); border-color: #e3a29c; }
button.link { background: none; border: none; padding: 0; color: var(--accent); text-decoration: underline; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; word-break: break-all; text-align: left; }
:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
input[type="password"], textarea { font: 0.9rem ui-monospace, "DejaVu Sans Mono", monospace; padding: 0.4rem; border: 1px solid var(--line); border-radius: 6px; width: 100%; }
.sign-in { max-width: 28rem; }
.sign-in form { display: grid; gap: 0.5rem; }
.sign-in label { font-weight: 600; }
.toolbar { display: flex; gap: 0.5rem; flex-wrap: wrap; margin: 0.5rem 0; }
.actions { display: flex; gap: 0.4rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.dlq { border: 1px solid var(--line); border-radius: 8px; padding: 0 0.9rem 0.4rem; margin: 0.6rem 0; }
.badge { display: inline-block; min-width: 1.6rem; padding: 0 0.45rem; border-radius: 999px; background: var(--panel); border: 1px solid var(--line); font-size: 0.85rem; text-align: center; }
.letters { margin-left: 1rem; }
.error-type { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
.actions button, .toolbar button, td time { white-space: nowrap; }
.error-message, .value { word-break: break-word; }
.error-message { display: block; }
.error-message + .error-message { margin-top: 0.25rem; }
.message { border: 2px solid var(--accent); border-radius: 8px; padding: 0 1rem 0.75rem; margin: 1rem 0; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; margin: 0.5rem 0; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; word-break: break-word; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.6rem; overflow: auto; max-height: 22rem; white-space: pre-wrap; word-break: break-word; font-size: 0.85rem; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 0 1.5rem; }
dl { margin: 0.25rem 0; }
dt { font-weight: 600; }
dd { margin: 0 0 0.4rem; }
.note, .caption { color: var(--muted); margin: 0.25rem 0; }
.warning, .error, .bad { color: var(--bad); }
.warning:empty, .error:empty { display: none; }
.announcer { margin: 0.5rem 0; padding: 0.4rem 0.75rem; background: #eef6ee; border-left: 4px solid var(--good); }
.announcer:empty { display: none; }
.issues code { font-weight: 600; }
#edit-errors { color: var(--bad); }
.state { font-weight: 600; text-transform: uppercase; font-size: 0.8rem; letter-spacing: 0.03em; }
.state-closed { color: var(--good); }
.state-half-open { color: var(--warn); }
.state-open, .state-isolated { color: var(--bad); }
dialog { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.25rem; max-width: 32rem; }
dialog::backdrop { background: rgba(13, 42, 74, 0.45); }
`;
