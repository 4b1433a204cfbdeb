/**
 * `enveil help [COMMAND]`
 * @module
 */
import { CliError, EXIT } from '../exit.js';
import { HELP } from '../help-text.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function helpCommand(args, { out }) {
  const topic = args[0] ?? 'main';
  if (!(Object.hasOwn(HELP, topic))) throw new CliError(EXIT.USAGE, `no such command: ${topic}\nSee: enveil --help`);
  out(HELP[topic] ?? '');
  return EXIT.OK;
}
