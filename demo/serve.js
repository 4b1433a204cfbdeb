// Serves the repository root so demo/ can load js/ and dist/ as an app
// would load the package. node demo/serve.js [port]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.argv[2] ?? process.env.PORT ?? 8080);
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css' };

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const rel = url.pathname === '/' ? '/demo/index.html' : url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
  const file = path.resolve(root, `.${decodeURIComponent(rel)}`);
  if (!file.startsWith(root + path.sep) || !/^\/(demo|js|dist)\//.test(rel)) {
    res.writeHead(404).end('not found');
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  } catch {
    res.writeHead(404).end('not found');
  }
});
server.listen(port, '127.0.0.1', () => {
  console.log(`enveil demo: http://127.0.0.1:${port}/  (Ctrl+C to stop)`);
});
