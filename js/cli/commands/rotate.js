/**
 * `enveil rotate [--key-path OLD | --kek URI] [--new-key NEW | --new-kek URI] FILE...`
 * @module
 */
import * as core from '../../stream-format.js';
import { parse, showHelp } from '../args.js';
import { CliError, EXIT } from '../exit.js';
import { describeMaster, isService, loadMaster, releaseMaster } from '../master.js';
import { generateNewKey, rotateFiles } from '../rotation.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function rotateCommand(args, { out, err }) {
  const { values, positionals: files } = parse('rotate', args, {
    'key-path': { type: 'string' }, kek: { type: 'string' }, 'new-key': { type: 'string' }, 'new-kek': { type: 'string' },
  });
  if (values.help) return showHelp('rotate', out);
  if (files.length === 0) throw new CliError(EXIT.USAGE, 'enveil rotate needs at least one FILE\nSee: enveil rotate --help');
  await core.init();
  /** @param {string} line */
  const report = (line) => out(`${line}\n`);
  const oldKey = await loadMaster(values);
  /** @type {import('../master.js').Master | undefined} */
  let newKey;
  try {
    newKey = values['new-key'] !== undefined || values['new-kek'] !== undefined
      ? await loadMaster(values, { path: 'new-key', uri: 'new-kek' })
      : await generateNewKey(oldKey, files, report);
    if (isService(newKey) === isService(oldKey) && newKey.id === oldKey.id) {
      throw new CliError(EXIT.USAGE, `the new key is the old one (${describeMaster(oldKey)}); give another`);
    }
    const counts = await rotateFiles({ oldKey, newKey, files, report, fail: (line) => err(`enveil rotate: ${line}\n`) });
    report(`${counts.rotated} rotated, ${counts.already} already rotated, ${counts.failed} failed`);
    return counts.failed > 0 ? EXIT.PARTIAL : EXIT.OK;
  } finally {
    await releaseMaster(oldKey);
    await releaseMaster(newKey);
  }
}
