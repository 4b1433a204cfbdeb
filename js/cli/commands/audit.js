/**
 * `enveil audit [--json] FILE`: the summary inspect.js reads, as text or
 * JSON; exit 1 when the file is not consistent.
 * @module
 */
import * as core from '../../stream-format.js';
import { parse, showHelp } from '../args.js';
import { CliError, EXIT } from '../exit.js';
import { inspectFile } from '../inspect.js';

/**
 * @param {string[]} args
 * @param {import('../args.js').CommandIO} io
 */
export async function auditCommand(args, { out }) {
  const { values, positionals } = parse('audit', args, { json: { type: 'boolean' } });
  if (values.help) return showHelp('audit', out);
  if (positionals.length !== 1) throw new CliError(EXIT.USAGE, 'enveil audit takes exactly one FILE\nSee: enveil audit --help');
  await core.init();
  const file = /** @type {string} */ (positionals[0]);
  const json = values.json ?? false;
  const summary = await inspectFile(file);
  if (summary.kind === 'stream') {
    const { stream } = summary;
    if (json) out(`${JSON.stringify({ file, ...stream }, null, 2)}\n`);
    else {
      out([
        `file:        ${file}`,
        `format:      ${stream.format}`,
        `suite:       ${stream.suite}`,
        `master key:  ${stream.keyKind === 'key file' ? stream.keyId : `${stream.keyId} (${stream.keyKind})`} (as the file says; only open verifies it)`,
        `context:     ${JSON.stringify(stream.context)}`,
        `file id:     ${stream.fileId}`,
        `chunk size:  ${stream.chunkBytes} bytes`,
        `header:      ${stream.headerBytes} bytes`,
        stream.consistent
          ? `body:        ${stream.bodyBytes} bytes in ${stream.chunks} chunks (${stream.plaintextBytes} bytes of plaintext)`
          : `body:        ${stream.bodyBytes} bytes: not a whole number of chunks (truncated or extended)`,
        '',
      ].join('\n'));
    }
    return stream.consistent ? EXIT.OK : EXIT.AUTH;
  }
  const { keyIds, values: sealedValues } = summary;
  if (json) out(`${JSON.stringify({ file, format: 'enveil .env v1', keyIds, values: sealedValues }, null, 2)}\n`);
  else {
    out([
      `file:        ${file}`,
      `format:      enveil .env v1 (each value an enveil stream v${core.sizes().version})`,
      `master keys: ${keyIds.join(', ')}`,
      `values:      ${sealedValues.length} sealed`,
      ...sealedValues.map((v) => ('damaged' in v
        ? `  ${v.name} (line ${v.line}): damaged`
        : `  ${v.name} (line ${v.line}): key ${v.keyKind === 'key file' ? v.keyId : `${v.keyId} (${v.keyKind})`}, ${v.consistent ? `${v.plaintextBytes} bytes` : 'truncated or extended'}`)),
      '',
    ].join('\n'));
  }
  if (!summary.consistent) throw new CliError(EXIT.AUTH, `${file}: some sealed values are damaged`);
  return EXIT.OK;
}
