// A loopback OAuth 2.0 token endpoint for the `enveil token` tests: the
// refresh_token grant of RFC 6749 §6 (form-encoded POST, client
// authentication by client_secret_basic or client_secret_post, §2.3.1), JSON
// answers and errors as §5.1/§5.2 write them. Refresh tokens rotate on every
// use; a rotated-away token used again within `graceMs` gets a new pair (the
// grace a client that lost the answer needs), after that it is reuse: the
// whole family is revoked and the answer is invalid_grant with
// error_description "refresh token reuse detected" (as the demo's server
// does, demo/auth-server.js). Counts every request.
import http from 'node:http';
import { randomBytes } from 'node:crypto';

/**
 * @param {{ clientId?: string, clientSecret?: string, auth?: 'basic' | 'post', accessTtlS?: number, graceMs?: number }} [options]
 */
export async function startOAuthServer(options = {}) {
  const { clientId = 'ci-client', clientSecret = 'ci-secret', auth = 'basic', accessTtlS = 3600, graceMs = 60_000 } = options;
  /** @type {Map<string, { family: string, usedAt?: number }>} */
  const refreshTokens = new Map();
  const revoked = new Set();
  const state = {
    /** expires_in of the access tokens handed out from now on (tests change it). */
    accessTtlS,
    /** Token requests that reached the grant (authenticated clients). */
    refreshes: 0,
    reuseDetected: 0,
    /** Every refresh token presented, in order. */
    presented: /** @type {string[]} */ ([]),
    /** Every token handed out. */
    issued: /** @type {string[]} */ ([]),
    /** When set: answer the next requests with this status (503) or drop the connection ('drop'). */
    failNext: /** @type {{ n: number, mode: 'drop' | 503 } | null} */ (null),
    /** When set: the next successful refresh waits for this promise before answering. */
    hold: /** @type {Promise<void> | null} */ (null),
    /** When set: changes the body of successful answers (a server gone wrong). */
    mangle: /** @type {((body: Record<string, unknown>) => Record<string, unknown>) | null} */ (null),
  };

  /** @param {string} family */
  const issue = (family) => {
    const accessToken = `at_${randomBytes(18).toString('base64url')}`;
    const refreshToken = `rt_${randomBytes(24).toString('base64url')}`;
    refreshTokens.set(refreshToken, { family });
    state.issued.push(accessToken, refreshToken);
    return { access_token: accessToken, token_type: 'Bearer', expires_in: state.accessTtlS, refresh_token: refreshToken };
  };

  /** The client's credentials as the request carries them. @param {http.IncomingMessage} req @param {URLSearchParams} body */
  const client = (req, body) => {
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const [id, secret] = Buffer.from(header.slice(6), 'base64').toString().split(':').map(decodeURIComponent);
      return { via: 'basic', id, secret };
    }
    return { via: 'post', id: body.get('client_id'), secret: body.get('client_secret') };
  };

  const server = http.createServer(async (req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    for await (const c of req) chunks.push(c);
    if (state.failNext && state.failNext.n > 0) {
      state.failNext.n--;
      if (state.failNext.mode === 'drop') return req.socket.destroy();
      res.writeHead(Number(state.failNext.mode), { 'content-type': 'application/json' });
      return res.end('{"error":"temporarily_unavailable"}');
    }
    /** @param {number} status @param {object} body */
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/oauth/token') return send(404, { error: 'not_found' });
    if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return send(400, { error: 'invalid_request' });
    const body = new URLSearchParams(Buffer.concat(chunks).toString());
    const c = client(req, body);
    if (c.via !== auth || c.id !== clientId || c.secret !== clientSecret) return send(401, { error: 'invalid_client' });
    if (body.get('grant_type') !== 'refresh_token') return send(400, { error: 'unsupported_grant_type' });
    const presented = body.get('refresh_token') ?? '';
    state.presented.push(presented);
    state.refreshes++;
    const info = refreshTokens.get(presented);
    if (!info || revoked.has(info.family)) return send(400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
    if (info.usedAt !== undefined && Date.now() - info.usedAt > graceMs) {
      revoked.add(info.family);
      state.reuseDetected++;
      return send(400, { error: 'invalid_grant', error_description: 'refresh token reuse detected' });
    }
    info.usedAt ??= Date.now();
    if (state.hold) await state.hold;
    const answer = issue(info.family);
    return send(200, state.mangle ? state.mangle(answer) : answer);
  });
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', () => resolve(undefined)); });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    tokenEndpoint: `http://127.0.0.1:${port}/oauth/token`,
    clientId,
    clientSecret,
    state,
    /** A new family's first refresh token (as a sign-in would give). */
    newRefreshToken: () => issue(randomBytes(8).toString('hex')).refresh_token,
    /** Makes every token used so far count as used long ago: any reuse of one is detected. */
    expireGrace: () => { for (const info of refreshTokens.values()) if (info.usedAt !== undefined) info.usedAt = 0; },
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve(undefined)); }),
  };
}
