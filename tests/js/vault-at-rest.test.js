// Issue 14, finding 1 on the TokenVault: its '__tokens' record edited on disk
// as an attacker with the IndexedDB files would (a plain token put in place
// of the sealed one, the plain bookkeeping fields changed). Written for
// store format 2; each test fails on format 1, where the vault hands out the
// attacker's access token and refreshes with the attacker's refresh token.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IDBFactory } from 'fake-indexeddb';
import { EncryptedStore, EnveilError, RefreshError, TokenVault, init, providers } from '../../js/index.js';
import { editRaw } from './idb-helpers.js';

await init();

const GENUINE = { accessToken: 'at-genuine-1', refreshToken: 'rt-genuine-1', expiresIn: 300, scope: 'read' };
const REFRESHED = { accessToken: 'at-genuine-2', refreshToken: 'rt-genuine-2', expiresIn: 300 };
const isAttackers = (token) => typeof token === 'string' && token.includes('ATTACKER');

/**
 * A signed-in vault whose refresh() records the refresh tokens it is called
 * with; `server(token)` answers them (default: a new genuine pair).
 */
async function signedIn(server = async () => REFRESHED) {
  const idb = new IDBFactory();
  const c = { t: 1_800_000_000_000 };
  const sent = [];
  const store = await EncryptedStore.open({ name: 'app', provider: providers.memory(), collections: {}, indexedDB: idb });
  const vault = await TokenVault.open({
    store, now: () => c.t, refresh: async (token) => { sent.push(token); return server(token); },
  });
  await vault.setTokens(GENUINE);
  /** Edits the stored session record as the attacker. */
  const edit = (fn) => editRaw(idb, 'c:__tokens', 'session', (r) => { fn(r); return r; });
  return { c, sent, store, vault, edit };
}

/** The plaintext-substitution edit: the sealed field taken out of `__enc` where it is there, a plain one put in its place. */
function plant(record, field, value) {
  if (record.__enc && record.__enc[field] instanceof Uint8Array) delete record.__enc[field];
  record[field] = value;
}

/** getAccessToken() as a value, or the EnveilError it rejected with (anything else fails the test). */
async function accessToken(vault, options) {
  try {
    return await vault.getAccessToken(options);
  } catch (err) {
    assert.ok(err instanceof EnveilError, `getAccessToken threw ${err?.stack ?? err}`);
    return err;
  }
}

/** The audit log still verifies (nothing touched it) and records no refresh made with the attacker's token. */
async function auditTellsTheTruth(vault, sent) {
  assert.equal((await vault.verifyAuditLog()).ok, true, 'the untouched audit log does not verify');
  if (sent.some(isAttackers)) {
    assert.ok(!(await vault.auditLog()).some((e) => e.event === 'refreshed'), "the log records as 'refreshed' a refresh made with the attacker's token");
  }
}

test('finding 1 on the vault: a planted token is never returned nor sent, edited plain fields never hand out an expired token, the audit log tells the truth', async (t) => {
  await t.test('a plain access token in place of the sealed one is never returned', async () => {
    const { sent, vault, edit, store } = await signedIn();
    await edit((r) => plant(r, 'accessToken', 'at-ATTACKER'));
    const got = await accessToken(vault);
    assert.ok(!isAttackers(got), "getAccessToken returned the attacker's access token");
    assert.ok(!isAttackers(await accessToken(vault, { forceRefresh: true })));
    assert.ok(!sent.some(isAttackers));
    await auditTellsTheTruth(vault, sent);
    await store.close();
  });

  await t.test('a plain refresh token in place of the sealed one is never sent to refresh()', async () => {
    const { c, sent, vault, edit, store } = await signedIn();
    await edit((r) => plant(r, 'refreshToken', 'rt-ATTACKER'));
    c.t += 400_000; // the genuine access token expires: the next call refreshes
    const got = await accessToken(vault);
    assert.deepEqual(sent.filter(isAttackers), [], "refresh() was called with the attacker's refresh token");
    assert.ok(!isAttackers(got));
    await auditTellsTheTruth(vault, sent);
    await store.close();
  });

  await t.test('a previous refresh token planted with its grace window is never retried', async () => {
    // The server turns the genuine refresh token down as 'invalid': the vault may retry with the one it rotated away.
    const { c, sent, vault, edit, store } = await signedIn(async (token) => {
      if (token === GENUINE.refreshToken) throw new RefreshError('invalid');
      return REFRESHED;
    });
    await edit((r) => {
      plant(r, 'previousRefreshToken', 'rt-ATTACKER-previous');
      r.previousUntil = c.t + 86_400_000;
    });
    c.t += 400_000;
    await accessToken(vault);
    assert.deepEqual(sent.filter(isAttackers), [], "refresh() was retried with the attacker's previous refresh token");
    await auditTellsTheTruth(vault, sent);
    await store.close();
  });

  await t.test('expiresAt, previousUntil, lastFailure and scope edited: an expired token is not handed out as valid', async () => {
    const { c, sent, vault, edit, store } = await signedIn();
    c.t += 400_000; // expired, genuinely
    await edit((r) => {
      r.expiresAt = c.t + 86_400_000;
      r.previousUntil = c.t + 86_400_000;
      r.lastFailure = { at: c.t, kind: 'network' };
      r.scope = 'admin';
    });
    const got = await accessToken(vault);
    assert.ok(got instanceof EnveilError || sent.length > 0,
      `getAccessToken handed out ${JSON.stringify(got)} without a refresh: the edited expiresAt was trusted`);
    let status;
    try {
      status = await vault.status();
    } catch (err) {
      assert.ok(err instanceof EnveilError, String(err));
    }
    assert.notEqual(status, 'valid', 'status() trusts the edited expiresAt');
    await auditTellsTheTruth(vault, sent);
    await store.close();
  });
});
