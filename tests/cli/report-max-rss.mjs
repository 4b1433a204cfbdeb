// Preloaded (node --import) into the enveil process by streaming-rss.test.js:
// reports the process's peak resident set size on stderr as it exits.
import { writeSync } from 'node:fs';

process.on('exit', () => {
  writeSync(2, `\nmax-rss-kib=${process.resourceUsage().maxRSS}\n`);
});
