// What every Chromium suite shares: Debian's Chromium (never a downloaded
// one), started headless with the flags that keep it off the network.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export { bundlePage, root } from '../browser/test-page.mjs';
export const CHROMIUM = process.env.ENVEIL_CHROMIUM ?? '/usr/bin/chromium';
/** The reason the suites skip, or false. */
export const skip = existsSync(CHROMIUM) ? false : `Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;

const launchOptions = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
};

/**
 * Chromium on the profile directory `profile` (playwright passes it as
 * --user-data-dir): a fresh one for a new install, the same one for the
 * app's next start.
 * @param {string} profile @param {object} [options] more playwright options (viewport…)
 */
export function launchProfile(profile, options = {}) {
  return chromium.launchPersistentContext(profile, { ...launchOptions, ...options });
}

/** Chromium without a profile of its own. */
export function launchBrowser() {
  return chromium.launch(launchOptions);
}
