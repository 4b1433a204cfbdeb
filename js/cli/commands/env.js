/**
 * `enveil env seal [--key-path FILE | --kek URI] [--context TEXT] [--strip-comments] [-o OUT] [FILE]`
 * `enveil env open [--key-path FILE | --kek URI] [--context TEXT] [--allow-plain] [-o OUT] [FILE]`
 * @module
 */
import * as core from '../../stream-format.js';
import { atMost, KEY_OPTIONS, parse, showHelp } from '../args.js';
import { CliError, EXIT } from '../exit.js';
import { readText, writeText } from '../io/text.js';
import { withMaster } from '../master.js';
import { openEnv, sealEnv } from '../sealed-env.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function envCommand(args, { out, err }) {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    showHelp('env', out);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (sub !== 'seal' && sub !== 'open') throw new CliError(EXIT.USAGE, `no such command: env ${sub}\nSee: enveil env --help`);
  const flag = { type: /** @type {const} */ ('boolean') };
  const options = sub === 'open' ? { ...KEY_OPTIONS, 'allow-plain': flag } : { ...KEY_OPTIONS, 'strip-comments': flag };
  const { values, positionals } = parse(`env ${sub}`, rest, options);
  const option = (/** @type {string} */ name) => Boolean(/** @type {Record<string, unknown>} */ (values)[name]);
  if (values.help) return showHelp('env', out);
  const input = atMost(`env ${sub}`, positionals, 1);
  await core.init();
  await withMaster(values, async (key) => {
    const name = input === undefined || input === '-' ? 'stdin' : input;
    const text = await readText(input, { keepBom: true });
    if (sub === 'seal') {
      const sealed = await sealEnv({ text, name, key, context: values.context, stripComments: option('strip-comments') });
      await writeText(values.output, sealed.text);
      for (const { line, names } of sealed.exposed) {
        err(`enveil: warning: ${name}:${line}: a comment holds NAME=value text (${names.join(', ')}); comments are copied in clear: remove it, or pass --strip-comments\n`);
      }
      err(`enveil: sealed ${sealed.sealed} values${sealed.kept ? ` (${sealed.kept} already sealed)` : ''}${sealed.dropped ? `; ${sealed.dropped} comments dropped` : ''}\n`);
    } else {
      const opened = await openEnv({ text, name, key, context: values.context, allowPlain: option('allow-plain') });
      await writeText(values.output, opened.text);
      err(`enveil: opened ${opened.opened} values${opened.plain ? ` (${opened.plain} were plain)` : ''}\n`);
    }
  });
  return EXIT.OK;
}
