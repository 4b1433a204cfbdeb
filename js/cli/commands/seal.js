/**
 * `enveil seal [--key-path FILE] [--context TEXT] [--chunk-size N] [-o OUT] [FILE]`
 * @module
 */
import * as core from '../../stream-format.js';
import { atMost, chunkSizeArg, contextArg, KEY_OPTIONS, keyPathOf, parse, showHelp } from '../args.js';
import { EXIT } from '../exit.js';
import { withKey } from '../key-file.js';
import { sealStream } from '../sealed-stream.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function sealCommand(args, { out }) {
  const { values, positionals } = parse('seal', args, { ...KEY_OPTIONS, 'chunk-size': { type: 'string' } });
  if (values.help) return showHelp('seal', out);
  const input = atMost('seal', positionals, 1);
  await core.init();
  const context = contextArg(values.context);
  const chunkBytes = chunkSizeArg(values['chunk-size']);
  await withKey(keyPathOf(values), (key) => sealStream({ input, output: values.output, key, context, chunkBytes }));
  return EXIT.OK;
}
