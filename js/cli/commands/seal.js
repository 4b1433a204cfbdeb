/**
 * `enveil seal [--key-path FILE | --kek URI] [--context TEXT] [--chunk-size N] [-o OUT] [FILE]`
 * @module
 */
import * as core from '../../stream-format.js';
import { atMost, chunkSizeArg, contextArg, KEY_OPTIONS, parse, showHelp } from '../args.js';
import { EXIT } from '../exit.js';
import { withMaster } from '../master.js';
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
  await withMaster(values, (key) => sealStream({ input, output: values.output, key, context, chunkBytes }));
  return EXIT.OK;
}
