import { Script } from 'node:vm';
import { consoleScript } from './client/console-script';
import { CONSOLE_CSP, CONSOLE_HEADERS } from './console-headers.middleware';
import { consolePage, escapeHtml } from './console-page';

describe('the admin console page', () => {
  it('escapes the service name and its path', () => {
    const page = consolePage('<svc>&"x"', '/a"><script>alert(1)</script>');

    expect(page).toContain('&#60;svc&#62;&#38;&#34;x&#34;');
    expect(page).not.toContain('<script>alert(1)');
    expect(escapeHtml(`<>&"'`)).toBe('&#60;&#62;&#38;&#34;&#39;');
  });

  it('holds no inline script, no inline event handler and no style attribute, which its policy would refuse', () => {
    const page = consolePage('orders', '/admin');

    for (const [, attributes, body] of page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      expect(attributes).toMatch(/\ssrc="/);
      expect(body).toBe('');
    }
    expect(page).not.toMatch(/\son[a-z]+\s*=/i);
    expect(page).not.toMatch(/\sstyle\s*=/i);
  });

  it('is served with a policy that runs only its own script and style and talks only to its own origin', () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).toContain("default-src 'none'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe');
    expect(CONSOLE_HEADERS['Cache-Control']).toBe('no-store');
  });
});

describe('the admin console script', () => {
  const script = consoleScript();

  it('is one script that parses', () => {
    expect(() => new Script(script)).not.toThrow();
  });

  // Served as the functions' own source text: a reference to another module (compiled to require() or `name_1.x`)
  // would fail in the browser.
  it('refers to nothing outside its own functions', () => {
    expect(script).not.toMatch(/\brequire\(|\bexports\b|\bmodule\b\.|\b\w+_1\./);
  });

  it('never turns text into HTML: it builds nodes and sets text and attributes only', () => {
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
  });
});
