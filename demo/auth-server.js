// The demo's fake OAuth server: short-lived access tokens, refresh tokens
// that rotate on every use, and reuse detection (a rotated-away token seen
// again after the reuse interval revokes the whole family).
import { randomBytes } from 'node:crypto';

const ACCESS_TTL_S = 60;
const REUSE_INTERVAL_MS = 10_000;

export function createAuthServer() {
  const refreshTokens = new Map(); // token → { family, user, usedAt? }
  const accessTokens = new Map(); // token → { user, expiresAt }
  const revoked = new Set();
  const stats = { logins: 0, refreshes: 0, reuseDetected: 0 };
  /** Every token handed out (tests search the browser's files for them). */
  const issued = [];

  function issue(family, user) {
    const accessToken = `at_${randomBytes(18).toString('base64url')}`;
    const refreshToken = `rt_${randomBytes(24).toString('base64url')}`;
    accessTokens.set(accessToken, { user, expiresAt: Date.now() + ACCESS_TTL_S * 1000 });
    refreshTokens.set(refreshToken, { family, user });
    issued.push(accessToken, refreshToken);
    return { access_token: accessToken, refresh_token: refreshToken, expires_in: ACCESS_TTL_S, token_type: 'Bearer' };
  }

  /** @returns {[number, object]} status and JSON body */
  function handle(path, body, headers) {
    if (path === '/auth/login') {
      if (!body.username || body.password !== 'demo') return [401, { error: 'invalid_credentials', hint: 'the password is "demo"' }];
      stats.logins++;
      return [200, issue(randomBytes(8).toString('hex'), body.username)];
    }
    if (path === '/auth/refresh') {
      stats.refreshes++;
      const info = refreshTokens.get(body.refresh_token);
      if (!info || revoked.has(info.family)) return [400, { error: 'invalid_grant' }];
      if (info.usedAt !== undefined && Date.now() - info.usedAt > REUSE_INTERVAL_MS) {
        revoked.add(info.family);
        stats.reuseDetected++;
        return [400, { error: 'invalid_grant', reused: true }];
      }
      info.usedAt ??= Date.now();
      return [200, issue(info.family, info.user)];
    }
    if (path === '/api/me') {
      const token = (headers.authorization ?? '').replace(/^Bearer /, '');
      const info = accessTokens.get(token);
      if (!info || info.expiresAt < Date.now()) return [401, { error: 'invalid_token' }];
      return [200, { user: info.user, tokenExpiresAt: info.expiresAt }];
    }
    if (path === '/auth/stats') return [200, stats];
    return [404, { error: 'not_found' }];
  }

  return { handle, stats, issued };
}
