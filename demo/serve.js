// Serves the bundled demo (demo/dist, built by demo/build.js) and its fake
// auth server. node demo/serve.js [port]
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAuthServer } from './auth-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css', '.png': 'image/png' };
// What may be served: the bundled demo, and (for the browser tests of the
// unbundled modules) js/ and dist/.
const SERVED = /^\/(demo\/dist|js|dist|build\/e2e)\//;

/**
 * Starts the demo server on 127.0.0.1; port 0 picks a free one.
 * @param {number} port
 */
export function startDemoServer(port) {
  const auth = createAuthServer();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/auth/') || url.pathname.startsWith('/api/')) {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      let body = {};
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        // an empty object answers 400 below
      }
      const [status, json] = auth.handle(url.pathname, body, req.headers);
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(json));
      return;
    }
    if (url.pathname === '/' || url.pathname === '/demo' || url.pathname === '/demo/') {
      res.writeHead(302, { location: '/demo/dist/' }).end();
      return;
    }
    const rel = url.pathname.endsWith('/') ? `${url.pathname}index.html` : url.pathname;
    const file = path.resolve(root, `.${decodeURIComponent(rel)}`);
    if (!file.startsWith(root + path.sep) || !SERVED.test(rel)) {
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
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = /** @type {import('node:net').AddressInfo} */ (server.address());
      resolve({
        url: `http://127.0.0.1:${actual}/demo/dist/`,
        origin: `http://127.0.0.1:${actual}`,
        auth,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { url } = await startDemoServer(Number(process.argv[2] ?? process.env.PORT ?? 8080));
  console.log(`enveil demo: ${url}  (sign in with any name and the password "demo"; Ctrl+C to stop)`);
}
