// Test helper: headless Chromium driven by playwright-core, which never downloads a browser: it runs the system's
// (Debian's `chromium`, which scripts/ensure-browser.sh installs; CHROMIUM_PATH names another). A browser test saves a
// screenshot of its page when it fails, under .data/screenshots/ (git ignores .data/).
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = resolve(__dirname, '../..');
export const SCREENSHOT_DIR = join(ROOT, '.data/screenshots');

/** The flags that keep Chromium from reaching out to the network (refused here) and from needing a sandbox as root. */
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-extensions',
];

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(
      `No Chromium at ${executablePath}: run 'bash scripts/ensure-browser.sh' (as root it installs Debian's chromium), ` +
        'install Chromium yourself, or set CHROMIUM_PATH to a Chromium or Chrome binary',
    );
  }
  return chromium.launch({ executablePath, headless: true, args: FLAGS, timeout: 30_000 });
}

/** Saves a full-page screenshot as `<name>.png` under .data/screenshots/; returns its path, or undefined if it failed. */
export async function saveScreenshot(page: Page | undefined, name: string): Promise<string | undefined> {
  if (!page || page.isClosed()) return undefined;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(
    SCREENSHOT_DIR,
    `${name
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase()
      .slice(0, 100)}.png`,
  );
  try {
    await page.screenshot({ path, fullPage: true, timeout: 5000 });
    return path;
  } catch {
    return undefined;
  }
}

/** `it`, with a screenshot of the page when the test throws (a failed expectation, a locator's timeout). */
export function browserTest(name: string, page: () => Page | undefined, fn: () => Promise<void>, timeoutMs?: number): void {
  it(
    name,
    async () => {
      try {
        await fn();
      } catch (error) {
        const path = await saveScreenshot(page(), `failed ${name}`);
        if (path && error instanceof Error) error.message += `\n(screenshot of the page: ${path})`;
        throw error;
      }
    },
    timeoutMs,
  );
}
