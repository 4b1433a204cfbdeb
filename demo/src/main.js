// The demo app: what a Capacitor webview app does with enveil, imported
// through the package's exports as an app would ('enveil', bundled by esbuild).
import { EncryptedStore, EnveilError, RefreshError, TokenVault, providers } from 'enveil';
// Until providers re-exports them: createPasskey, webAuthnPrf, webAuthnPrfSupported.

const STORE = 'enveil-demo';
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/** @type {EncryptedStore} */
let store;
/** @type {TokenVault} */
let vault;

// ---------------------------------------------------------------- provider

// On a device (Capacitor), a native plugin holds the master key; in a
// browser, a non-extractable WebCrypto key kept in IndexedDB. The key's
// database name is remembered (not secret) so master-key rotation can move on.
function providerFor(keyName) {
  const capacitor = /** @type {any} */ (globalThis).Capacitor;
  if (capacitor?.isNativePlatform?.() && capacitor.Plugins?.NativeBiometric) {
    return providers.nativeBiometric(capacitor.Plugins.NativeBiometric, { key: keyName, prompt: { reason: 'Unlock your data', title: 'Unlock' } });
  }
  return providers.webCrypto({ name: keyName });
}
const keyName = () => localStorage.getItem('enveil-demo-key') ?? 'enveil-demo-key-1';

// "Protect with a passkey": the master key becomes a passkey's PRF output
// (providers.webAuthnPrf). The credential id is kept here: it is not a
// secret, the authenticator holds what matters.
const PASSKEY = 'enveil-demo-passkey';
const passkeyId = () => localStorage.getItem(PASSKEY);
/** The provider the store is wrapped by now: the passkey once there is one, else the device key. */
function currentProvider() {
  const credentialId = passkeyId();
  return credentialId ? providers.webAuthnPrf({ credentialId }) : providerFor(keyName());
}

const COLLECTIONS = {
  contacts: {
    encrypted: ['email', 'phone'],
    blindIndex: { email: { bits: 16, normalize: 'trim-lowercase' } },
  },
};

// ---------------------------------------------------------------- helpers

function say(id, text, kind = '') {
  $(id).textContent = text;
  $(id).className = `msg ${kind}`;
}

function failure(err) {
  return err instanceof EnveilError ? `${err.code}: ${err.message}` : String(err?.message ?? err);
}

/** Runs a UI action, reporting errors in `msgId`, then refreshes the views. */
function action(id, msgId, fn) {
  $(id).addEventListener('click', async () => {
    try {
      await fn();
    } catch (err) {
      say(msgId, failure(err), 'err');
    }
    await render();
  });
}

async function post(path, body) {
  if (input('offline').checked) throw new TypeError('offline (demo switch)');
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

// The app's refresh function: the only code that talks to the auth server.
async function refresh(refreshToken) {
  const { status, json } = await post('/auth/refresh', { refresh_token: refreshToken });
  if (status !== 200) throw new RefreshError(json.reused ? 'reused' : 'invalid', json.error);
  return { accessToken: json.access_token, refreshToken: json.refresh_token, expiresIn: json.expires_in };
}

// ---------------------------------------------------------------- startup

async function start() {
  $('provider').textContent = currentProvider().id;
  try {
    store = await EncryptedStore.open({ name: STORE, provider: currentProvider(), collections: COLLECTIONS });
  } catch (err) {
    if (err instanceof EnveilError && err.code === 'KEY_UNAVAILABLE') {
      say('boot', passkeyId()
        ? 'The passkey was not used (cancelled, or not on this device): reload to try again, or enter your recovery key.'
        : 'The device key is gone: enter your recovery key.', 'err');
      $('recover-form').hidden = false;
      return;
    }
    throw err;
  }
  await afterOpen();
}

async function afterOpen() {
  vault = await TokenVault.open({ store, refresh, skewMs: 5_000, offlineGraceMs: 10 * 60_000 });
  store.on('unreadable', ({ id }) => say('contacts-msg', `record ${id} does not authenticate`, 'err'));
  $('recover-form').hidden = true;
  say('boot', 'Ready.', 'ok');
  // A hint only (the authenticator the user picks decides): hidden where
  // WebAuthn or PRF is missing (WebKitGTK, a page served from an IP address).
  $('passkey-row').hidden = Boolean(passkeyId()) || !(await providers.webAuthnPrfSupported().catch(() => false));
  await render();
}

// ---------------------------------------------------------------- views

async function rawRecords() {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open(STORE);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  const rows = await new Promise((resolve) => {
    const req = db.transaction('c:contacts').objectStore('c:contacts').getAll();
    req.onsuccess = () => resolve(req.result);
  });
  db.close();
  const b64 = (u8) => btoa(String.fromCharCode(...u8)).slice(0, 40) + '…';
  // Store format 2: the encrypted fields' names in __enc, one ciphertext in __rec.
  return rows.map((r) => ({ ...r, __rec: b64(r.__rec) }));
}

function fillContacts(rows) {
  const body = /** @type {HTMLTableSectionElement} */ ($('contacts').querySelector('tbody'));
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement('tr');
    for (const v of [r.id, r.name, r.email, r.phone]) {
      const td = document.createElement('td');
      td.textContent = v ?? '';
      tr.append(td);
    }
    return tr;
  }));
}

async function render() {
  if (!store) return;
  $('lock-state').textContent = store.locked ? 'locked' : 'unlocked';
  $('provider').textContent = store.providerId;
  if (!vault) return;
  const status = await vault.status();
  $('vault-status').textContent = status;
  $('vault-status').className = `badge ${status}`;
  if (store.locked) return;
  $('raw').textContent = JSON.stringify(await rawRecords(), null, 1);
  // The search box is read again once the list is in: a search run while it
  // loaded shows its own results, which this list must not replace.
  if (!input('search').value) {
    const all = await store.list('contacts', { limit: 50 });
    if (!input('search').value) fillContacts(all);
  }
  const { keys, rotation } = await store.keyStatus();
  $('keys').textContent = keys.map((k) => `${String(k.id).padStart(10)}  ${k.kind.padEnd(5)} ${k.status.padEnd(8)} ${k.scope}`).join('\n')
    + (rotation ? `\nrotation in progress: ${JSON.stringify(rotation)}` : '');
  const log = await vault.auditLog({ limit: 1000 });
  $('audit').textContent = log.slice(-40).reverse()
    .map((e) => `#${e.seq} ${new Date(e.at).toLocaleTimeString()} ${e.event} ${JSON.stringify(e.details)}`).join('\n');
}

// ---------------------------------------------------------------- actions

action('sign-in', 'session-msg', async () => {
  const { status, json } = await post('/auth/login', { username: input('username').value, password: input('password').value });
  if (status !== 200) throw new Error(`sign-in refused: ${json.error}`);
  await vault.setTokens({ accessToken: json.access_token, refreshToken: json.refresh_token, expiresIn: json.expires_in });
  say('session-msg', `signed in as ${input('username').value}`, 'ok');
});
action('sign-out', 'session-msg', async () => {
  await vault.clear();
  say('session-msg', 'signed out');
});
action('call-api', 'session-msg', async () => {
  const info = await vault.getAccessTokenInfo();
  if (!info) throw new Error('sign in first');
  if (info.offline) {
    say('session-msg', 'offline: using the expired token within the grace period', 'ok');
    return;
  }
  if (input('offline').checked) {
    say('session-msg', 'offline: the stored token is still valid', 'ok');
    return;
  }
  const res = await fetch('/api/me', { headers: { authorization: `Bearer ${info.accessToken}` } });
  const json = await res.json();
  say('session-msg', res.ok ? `API says: you are ${json.user}` : `API refused: ${json.error}`, res.ok ? 'ok' : 'err');
});

let nextId = Date.now();
action('add-contact', 'contacts-msg', async () => {
  const id = `c${(nextId++).toString(36)}`;
  await store.put('contacts', id, { name: input('c-name').value, email: input('c-email').value, phone: input('c-phone').value });
  for (const field of ['c-name', 'c-email', 'c-phone']) input(field).value = '';
  say('contacts-msg', `added ${id}`, 'ok');
});
action('do-search', 'contacts-msg', async () => {
  const q = input('search').value;
  const found = q ? await store.findBy('contacts', 'email', q) : await store.list('contacts', { limit: 50 });
  fillContacts(found);
  say('contacts-msg', q ? `${found.length} match${found.length === 1 ? '' : 'es'} for "${q}"` : 'all contacts', 'ok');
});

function progress(p) {
  const bar = /** @type {HTMLProgressElement} */ ($('progress'));
  bar.max = Math.max(p.total, 1);
  bar.value = p.processed;
}
action('rotate-data', 'keys-msg', async () => {
  await store.rotateDataKeys({ batchSize: 2, onProgress: progress });
  say('keys-msg', 'data keys rotated: every record re-encrypted, old keys retired', 'ok');
});
action('rotate-index', 'keys-msg', async () => {
  await store.rotateIndexKeys({ batchSize: 2, onProgress: progress });
  say('keys-msg', 'index keys rotated', 'ok');
});
action('rotate-master', 'keys-msg', async () => {
  const next = `enveil-demo-key-${Number(keyName().split('-').pop()) + 1}`;
  await store.rotateMasterKey(providerFor(next));
  localStorage.setItem('enveil-demo-key', next);
  // From a passkey, too, this moves to a new device key.
  localStorage.removeItem(PASSKEY);
  say('keys-msg', `master key rotated to ${next}`, 'ok');
});
action('protect-passkey', 'keys-msg', async () => {
  const { credentialId } = await providers.createPasskey({ rpName: 'enveil demo', userName: input('username').value || 'enveil demo user' });
  // The same master-key rotation as above, to the passkey: one more
  // ceremony, to wrap the new store key; no record is touched.
  const previous = store.providerId;
  await store.rotateMasterKey(providers.webAuthnPrf({ credentialId }));
  localStorage.setItem(PASSKEY, credentialId);
  // The WebCrypto key wraps nothing now: no key is left in the browser's storage.
  if (previous.startsWith('webcrypto:')) {
    await new Promise((resolve) => { const r = indexedDB.deleteDatabase(keyName()); r.onsuccess = r.onerror = r.onblocked = resolve; });
  }
  $('passkey-row').hidden = true;
  say('keys-msg', 'protected with a passkey: each unlock asks for it', 'ok');
});
action('lock', 'keys-msg', async () => {
  await store.lock();
  say('keys-msg', 'locked: keys wiped from WASM memory');
});
action('unlock', 'keys-msg', async () => {
  await store.unlock();
  say('keys-msg', 'unlocked', 'ok');
});
action('create-recovery', 'keys-msg', async () => {
  $('recovery-key').textContent = await store.createRecoveryKey();
  say('keys-msg', 'write this recovery key down: it is shown once', 'ok');
});
action('lose-key', 'keys-msg', async () => {
  await store.close();
  await new Promise((resolve) => { const r = indexedDB.deleteDatabase(keyName()); r.onsuccess = r.onerror = r.onblocked = resolve; });
  // With a passkey: as if it were deleted from the device.
  localStorage.removeItem(PASSKEY);
  location.reload();
});
action('recover', 'boot', async () => {
  const next = `enveil-demo-key-${Number(keyName().split('-').pop()) + 1}`;
  store = await EncryptedStore.recover({ name: STORE, recoveryKey: input('recovery-input').value, newProvider: providerFor(next) });
  localStorage.setItem('enveil-demo-key', next);
  localStorage.removeItem(PASSKEY);
  await afterOpen();
  say('keys-msg', 'recovered: the store is now wrapped by a new device key', 'ok');
});
action('verify', 'keys-msg', async () => {
  const result = await vault.verifyAuditLog();
  $('verify-result').textContent = result.ok ? `chain intact (${result.entries} entries)` : `BROKEN at #${result.seq}: ${result.reason}`;
  $('verify-result').className = `badge ${result.ok ? 'valid' : 'expired'}`;
});
input('offline').addEventListener('change', render);
setInterval(() => { void render().catch(() => {}); }, 5000);

start().catch((err) => say('boot', failure(err), 'err'));
