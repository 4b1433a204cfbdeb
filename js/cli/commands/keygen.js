/**
 * `enveil keygen [--dir DIR] [--id ID]`, `enveil keygen --kek pkcs11:URI`
 * @module
 */
import * as core from '../../stream-format.js';
import { parse, showHelp } from '../args.js';
import { CliError, EXIT } from '../exit.js';
import { createServiceKey } from '../kek-uri.js';
import { writeNewKey } from '../key-file.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function keygenCommand(args, { out }) {
  const { values, positionals } = parse('keygen', args, { dir: { type: 'string' }, id: { type: 'string' }, kek: { type: 'string' } });
  if (values.help) return showHelp('keygen', out);
  if (positionals.length > 0) throw new CliError(EXIT.USAGE, 'enveil keygen takes no arguments\nSee: enveil keygen --help');
  await core.init();
  if (values.kek !== undefined) {
    if (values.dir !== undefined || values.id !== undefined) throw new CliError(EXIT.USAGE, 'keygen --kek takes no --dir or --id: the URI names the key');
    out(`${await createServiceKey(values.kek)}\n`);
    return EXIT.OK;
  }
  const key = await writeNewKey(values.dir ?? '.', values.id);
  key.bytes.fill(0);
  out(`${key.path}\n`);
  return EXIT.OK;
}
