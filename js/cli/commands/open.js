/**
 * `enveil open [--key-path FILE | --kek URI] [--context TEXT] [-o OUT] [FILE]`
 * @module
 */
import * as core from '../../stream-format.js';
import { atMost, contextArg, KEY_OPTIONS, parse, showHelp } from '../args.js';
import { EXIT } from '../exit.js';
import { withMaster } from '../master.js';
import { openStream } from '../sealed-stream.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function openCommand(args, { out }) {
  const { values, positionals } = parse('open', args, KEY_OPTIONS);
  if (values.help) return showHelp('open', out);
  const input = atMost('open', positionals, 1);
  await core.init();
  const context = contextArg(values.context);
  await withMaster(values, (key) => openStream({ input, output: values.output, key, context }));
  return EXIT.OK;
}
