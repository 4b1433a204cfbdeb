// Plain-text rendering of the tables for the terminal.

const KIB = 1024;

/**
 * Aligns rows of cells into columns two spaces apart.
 * @param {string[][]} rows
 * @param {Array<'l' | 'r'>} align one per column
 * @returns {string[]} lines
 */
export function columns(rows, align) {
  const widths = align.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => align.map((a, i) => (a === 'r' ? (r[i] ?? '').padStart(widths[i]) : (r[i] ?? '').padEnd(widths[i])))
    .join('  ').trimEnd());
}

/**
 * Operations per second: whole numbers with separators, one decimal below 100.
 * @param {number} n
 */
export function ops(n) {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/**
 * MB/s (10^6 bytes) with about three significant digits.
 * @param {number} n
 */
export function mb(n) {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/**
 * A ratio as "2.35×".
 * @param {number} r
 */
export function ratio(r) {
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/**
 * Bytes as "12,345 B (12.1 KiB)".
 * @param {number} n
 */
export function size(n) {
  return `${n.toLocaleString('en-US')} B (${(n / KIB).toFixed(1)} KiB)`;
}

/**
 * Milliseconds with one or two decimals.
 * @param {number} ms
 */
export function millis(ms) {
  return ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

/**
 * The ratio of every enveil contender to every contender of each group,
 * keyed `${group}/${numerator}/${contender}` (ops/s; MB/s gives the same).
 * @param {any} table a throughput table's JSON
 * @returns {Record<string, number>}
 */
export function ratios(table) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const g of table.groups) {
    for (const num of table.ratioOf) {
      const top = g.figures[num];
      if (!top) continue;
      for (const c of table.contenders) {
        if (!c.enveil && c.key !== num && g.figures[c.key]) out[`${g.label}/${num}/${c.key}`] = top.opsPerSec / g.figures[c.key].opsPerSec;
      }
    }
  }
  return out;
}

/**
 * A throughput table: one row per (group, contender).
 * @param {any} table
 * @returns {string[]}
 */
export function throughputLines(table) {
  const r = ratios(table);
  const head = ['', '', 'ops/s', 'MB/s', 'spread', ...table.ratioOf.map((k) => `${k}/x`)];
  const rows = [head];
  for (const g of table.groups) {
    table.contenders.forEach((c, i) => {
      const f = g.figures[c.key];
      if (!f) return;
      rows.push([
        i === 0 ? g.label : '', c.label, ops(f.opsPerSec), mb(f.mbPerSec), `${Math.round(f.spread * 100)}%`,
        ...table.ratioOf.map((num) => (c.enveil || c.key === num ? '—' : r[`${g.label}/${num}/${c.key}`] === undefined ? '' : ratio(r[`${g.label}/${num}/${c.key}`]))),
      ]);
    });
  }
  if (rows.length === 1) return table.skipped.map((/** @type {any} */ s) => `  skipped: ${s.label} (${s.reason})`);
  return [
    ...columns(rows, ['l', 'l', 'r', 'r', 'r', ...table.ratioOf.map(() => 'r')]).map((l) => `  ${l}`),
    ...table.skipped.map((/** @type {any} */ s) => `  skipped: ${s.label} (${s.reason})`),
  ];
}

/**
 * The module table: sizes and cold starts.
 * @param {any} table
 * @returns {string[]}
 */
export function moduleLines(table) {
  const { files, total, wrapper } = table.size;
  const sizeRows = [
    ['size', 'raw', 'gzip -9'],
    ...files.flatMap((/** @type {any} */ f) => [
      [f.file, size(f.rawBytes), size(f.gzipBytes)],
      ...f.wasm.map((/** @type {any} */ w, /** @type {number} */ i) => [`  its WASM${f.wasm.length > 1 ? ` #${i + 1}` : ''} (decoded${w.zlib ? ', inflated' : ''}; not counted)`, size(w.rawBytes), size(w.gzipBytes)]),
    ]),
    [`shipped module, ${files.length} file${files.length === 1 ? '' : 's'} (each gzipped)`, size(total.rawBytes), size(total.gzipBytes)],
    [`js/ wrapper (${wrapper.files} files, concatenated)`, size(wrapper.rawBytes), size(wrapper.gzipBytes)],
  ];
  const base = table.cold.enveil.totalMs;
  const coldRows = [
    [`cold start (${table.coldRuns} processes)`, 'import ms', 'init ms', 'total ms', 'total range', 'enveil speed-up'],
    ...Object.entries(table.cold).map(([lib, c]) => [
      lib, millis(c.importMs), millis(c.initMs), millis(c.totalMs), `${millis(c.totalRange[0])}–${millis(c.totalRange[1])}`,
      lib.startsWith('enveil') ? '—' : ratio(c.totalMs / base),
    ]),
  ];
  return [
    ...columns(sizeRows, ['l', 'r', 'r']).map((l) => `  ${l}`),
    '',
    ...columns(coldRows, ['l', 'r', 'r', 'r', 'r', 'r']).map((l) => `  ${l}`),
  ];
}

/**
 * Any table's lines, title first.
 * @param {any} table
 * @returns {string[]}
 */
export function tableLines(table) {
  // 'notes': a table that says everything in its notes (the command line's, table i).
  const body = table.kind === 'module' ? moduleLines(table) : table.kind === 'notes' ? [] : throughputLines(table);
  return [`(${table.letter}) ${table.title}`, ...body, ...table.notes.map((n) => `  note: ${n}`)];
}
