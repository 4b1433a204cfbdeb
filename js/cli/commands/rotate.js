/**
 * `enveil rotate [--key-path OLD] [--new-key NEW] FILE...`
 * @module
 */
import * as core from '../../stream-format.js';
import { keyPathOf, parse, showHelp } from '../args.js';
import { CliError, EXIT, quote } from '../exit.js';
import { loadKey } from '../key-file.js';
import { generateNewKey, rotateFiles } from '../rotation.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function rotateCommand(args, { out, err }) {
  const { values, positionals: files } = parse('rotate', args, { 'key-path': { type: 'string' }, 'new-key': { type: 'string' } });
  if (values.help) return showHelp('rotate', out);
  if (files.length === 0) throw new CliError(EXIT.USAGE, 'enveil rotate needs at least one FILE\nSee: enveil rotate --help');
  await core.init();
  /** @param {string} line */
  const report = (line) => out(`${line}\n`);
  const oldKey = await loadKey(keyPathOf(values));
  /** @type {import('../key-file.js').MasterKey | undefined} */
  let newKey;
  try {
    const newKeyPath = values['new-key'];
    newKey = newKeyPath !== undefined
      ? await loadKey(newKeyPath, '--new-key')
      : await generateNewKey(oldKey, files, report);
    if (newKey.id === oldKey.id) {
      throw new CliError(EXIT.USAGE, `the new key has the same id as the old one (${quote(oldKey.id)}); give it another name`);
    }
    const counts = await rotateFiles({ oldKey, newKey, files, report, fail: (line) => err(`enveil rotate: ${line}\n`) });
    report(`${counts.rotated} rotated, ${counts.already} already rotated, ${counts.failed} failed`);
    return counts.failed > 0 ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    oldKey.bytes.fill(0);
    newKey?.bytes.fill(0);
  }
}
