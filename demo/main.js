// The demo page: a keyring under a random KEK (the key-provider hook and
// IndexedDB arrive with the store), encrypting, decrypting, tampering,
// rotating and blind-indexing in the browser.
import { EnveilError, Keyring, init } from '../js/index.js';
import { randomBytes } from '../js/hazmat.js';

const $ = (id) => document.getElementById(id);
const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const show = (id, text, cls = '') => { $(id).textContent = text; $(id).className = cls; };

const started = performance.now();
await init();
const ring = Keyring.create({ kek: randomBytes(32), store: 'demo', kekId: 'session-kek' });
ring.rotate('index', 'contacts/email');
show('status', `WASM core ready in ${(performance.now() - started).toFixed(1)} ms.`, 'ok');

let ciphertext = null;

function renderKeyring() {
  $('keyring').textContent = JSON.stringify(ring.export().map((e) => ({ ...e, wrapped: b64url(e.wrapped) })), null, 2);
}

function renderIndex() {
  const value = $('plaintext').value;
  const variants = [value, `  ${value.toUpperCase()} `, value.toLowerCase()];
  $('index').textContent = variants
    .map((v) => `${JSON.stringify(v).padEnd(28)} → ${ring.blindIndex('contacts', 'email', v, { normalize: 'trim-lowercase', bits: 32 })}`)
    .join('\n');
}

function attempt(fn) {
  try {
    fn();
  } catch (err) {
    show('result', err instanceof EnveilError ? `${err.code}: ${err.message}` : String(err), 'err');
  }
}

$('encrypt').onclick = () => attempt(() => {
  ciphertext = ring.encrypt($('plaintext').value, $('context').value);
  show('ciphertext', b64url(ciphertext));
  show('result', `encrypted ${ciphertext.length} bytes (70 bytes of header and tag)`, 'ok');
  renderIndex();
});
$('decrypt').onclick = () => attempt(() => {
  if (!ciphertext) throw new Error('encrypt something first');
  show('result', new TextDecoder().decode(ring.decrypt(ciphertext, $('context').value)), 'ok');
});
$('tamper').onclick = () => attempt(() => {
  if (!ciphertext) throw new Error('encrypt something first');
  const bad = ciphertext.slice();
  bad[Math.floor(Math.random() * bad.length)] ^= 1 << Math.floor(Math.random() * 8);
  ring.decrypt(bad, $('context').value);
});
$('rotate').onclick = () => attempt(() => {
  const id = ring.rotate('data', 'default');
  renderKeyring();
  show('result', `new primary data key ${id}; the old one stays active, so old ciphertexts still decrypt`, 'ok');
});
$('plaintext').oninput = renderIndex;

renderIndex();
renderKeyring();
$('encrypt').click();
