/**
 * Headless Chromium for the browser tests: the Debian binary driven by playwright-core (no browser download).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** The browser: `CHROMIUM_PATH` (test/global-setup.ts sets it to the one it found), else Debian's chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ENSURE_SCRIPT = fileURLToPath(new URL('../../scripts/ensure-chromium.sh', import.meta.url));

/** Flags for a quiet, offline headless run: nothing phones home, so any request a test sees came from the page. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** Install chromium with scripts/ensure-chromium.sh when the binary is missing (a clean CI machine); idempotent. */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  // Normally done by test/global-setup.ts; this covers a single file run with another config.
  execFileSync('bash', [ENSURE_SCRIPT], { stdio: 'ignore', timeout: 170_000 });
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${ENSURE_SCRIPT} ran but ${CHROMIUM_PATH} is still missing`);
}

/** Launch headless Chromium (installing it first if needed). */
export async function launchBrowser(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}
