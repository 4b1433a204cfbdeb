// Child process of bench/run.mjs: `node bench/table.mjs <id>` measures one
// table and writes its result as JSON on stdout (progress goes to stderr).
import { TABLES } from './lib/tables.mjs';
import { RUNS, RUN_MS, WARMUP_MS } from './lib/measure.mjs';

const spec = TABLES.find((t) => t.id === process.argv[2]);
if (!spec) {
  process.stderr.write(`usage: node bench/table.mjs ${TABLES.map((t) => t.id).join('|')}\n`);
  process.exit(2);
}
const started = performance.now();
const result = await (await spec.load())();
process.stdout.write(JSON.stringify({
  id: spec.id,
  letter: spec.letter,
  title: spec.title,
  settings: { runs: RUNS, runMs: RUN_MS, warmupMs: WARMUP_MS },
  seconds: (performance.now() - started) / 1000,
  ...result,
}));
