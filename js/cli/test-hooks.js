/**
 * Hooks for the command-line tests, read from ENVEIL_TEST_* variables and
 * never documented for users. Tests kill the process, or change a file, at a
 * known point; these make that point deterministic instead of a race.
 *
 *   ENVEIL_TEST_PAUSE_AFTER_WRITE=1          pause after the first write to
 *                                            each temporary file (the signal
 *                                            tests)
 *   ENVEIL_TEST_PAUSE_BEFORE_DEVICE_OPEN=1   pause between the check that -o
 *                                            names a FIFO or character device
 *                                            and its open (the swap tests)
 *   ENVEIL_TEST_ROTATE_PAUSE_AFTER=N         rotate: pause after N files were
 *                                            rotated
 *   ENVEIL_TEST_ROTATE_PAUSE_BEFORE_RENAME=N rotate: with N rotated, pause once
 *                                            the next file's temporary copy is
 *                                            synced, before its rename
 *   ENVEIL_TEST_PAUSE_MS=N                   how long a pause lasts (default
 *                                            60 s)
 *   ENVEIL_TEST_RESUME_FILE=PATH             a pause ends as soon as PATH
 *                                            exists (then it is removed), so a
 *                                            test that acts during the pause
 *                                            never races it
 *
 * A pause announces itself on stderr ("enveil: test pause ..."), which
 * tests/cli/helpers.js waits for.
 * @module
 */
import { promises as fsp } from 'node:fs';

/** Whether atomic files pause after their first write. */
export const pauseAfterFirstWrite = () => process.env.ENVEIL_TEST_PAUSE_AFTER_WRITE === '1';

/** Whether `-o` to a FIFO or device pauses between its check and its open. */
export const pauseBeforeDeviceOpen = () => process.env.ENVEIL_TEST_PAUSE_BEFORE_DEVICE_OPEN === '1';

/**
 * The rotate pause points: a count of rotated files, or -1 (never).
 */
export function rotatePausePoints() {
  return {
    after: wholeNumber('ENVEIL_TEST_ROTATE_PAUSE_AFTER') ?? -1,
    beforeRename: wholeNumber('ENVEIL_TEST_ROTATE_PAUSE_BEFORE_RENAME') ?? -1,
  };
}

/** @param {string} name */
function wholeNumber(name) {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * Announces a pause on stderr and sleeps until the resume file appears or the
 * pause's time is up.
 * @param {string} what
 */
export async function testPause(what) {
  const ms = wholeNumber('ENVEIL_TEST_PAUSE_MS') ?? 60_000;
  const resume = process.env.ENVEIL_TEST_RESUME_FILE;
  process.stderr.write(`enveil: test pause ${what}\n`);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (resume && (await fsp.rm(resume).then(() => true, () => false))) return;
    await new Promise((resolve) => setTimeout(resolve, resume ? 10 : until - Date.now()));
  }
}
