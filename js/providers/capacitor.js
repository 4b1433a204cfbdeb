// What the adapters over Capacitor plugins can learn from Capacitor itself,
// read from the global that @capacitor/core (and the native bridge) install,
// so that enveil needs no dependency on it: the platform, the name a plugin
// proxy was registered under, and what its "not installed" errors look like.
import { EnveilError } from '../errors.js';

/**
 * @typedef {object} PluginSpec
 * @property {string} adapter the providers.* function, for messages
 * @property {string} name what the plugin registers with Capacitor (`registerPlugin(name)`)
 * @property {string} pkg its npm package
 * @property {string[]} methods what the adapter calls
 * @property {string[]} [nativeMethods] what the plugin's native part must
 *   offer (its entry in Capacitor.PluginHeaders); set for the secret stores,
 *   whose plugins have no implementation for iOS and Android but the native one
 * @property {string} [onWeb] where its web implementation keeps a secret; set
 *   for the secret stores, which refuse the web unless allowed
 */

/** @returns {{ getPlatform?: () => string, isPluginAvailable?: (name: string) => boolean, Plugins?: Record<string, unknown> } | undefined} */
const capacitor = () => /** @type {any} */ (globalThis).Capacitor;

/**
 * 'ios', 'android', another native platform's name, or 'web' (no Capacitor
 * at all counts as the web: there is no keystore behind a plugin there).
 */
export function platform() {
  const getPlatform = capacitor()?.getPlatform;
  if (typeof getPlatform !== 'function') return 'web';
  try {
    return String(getPlatform());
  } catch {
    return 'web';
  }
}

/**
 * The name `plugin` was registered under with this page's Capacitor, or
 * undefined when it is not a registered plugin proxy (a wrapper, a fake).
 * A proxy answers every method name with a function, so this registry is
 * the only way to tell which plugin it is.
 * @param {unknown} plugin
 */
export function registeredName(plugin) {
  const registry = capacitor()?.Plugins;
  if (!registry || typeof registry !== 'object') return undefined;
  for (const name of Object.keys(registry)) {
    if (registry[name] === plugin) return name;
  }
  return undefined;
}

/**
 * The native app's entry for the plugin `name`, from the list of native
 * plugins the bridge installs (`Capacitor.PluginHeaders`: each with its
 * methods); undefined when the list is there and lacks it, null when there
 * is no list to ask.
 * @param {string} name
 * @returns {{ name: string, methods?: { name: string }[] } | undefined | null}
 */
function nativeEntry(name) {
  const headers = /** @type {any} */ (capacitor())?.PluginHeaders;
  if (!Array.isArray(headers)) return null;
  return headers.find((h) => h?.name === name);
}

/** iOS and Android: where the plugins' native parts (the Keychain, the Keystore) are. */
const NATIVE_PLATFORMS = ['ios', 'android'];

/**
 * Capacitor's "this plugin is not there" rejections: UNIMPLEMENTED (no
 * implementation on this platform: the native part was never synced into
 * the app) and UNAVAILABLE.
 * @param {unknown} err
 */
export function notInstalledCode(err) {
  const code = /** @type {{ code?: unknown }} */ (err)?.code;
  return code === 'UNIMPLEMENTED' || code === 'UNAVAILABLE' ? code : undefined;
}

/** @param {PluginSpec} spec @param {string} why */
export function notInstalled(spec, why, cause) {
  return new EnveilError('UNSUPPORTED',
    `${spec.adapter}: the ${spec.name} plugin (${spec.pkg}) ${why} on ${platform()}: install or update it and run \`npx cap sync\``,
    cause === undefined ? undefined : { cause });
}

/**
 * A plugin call: Capacitor's not-installed rejections become UNSUPPORTED
 * (an app that forgot `npx cap sync` has not lost its key); anything else
 * is `otherwise(err)`.
 * @template T
 * @param {PluginSpec} spec
 * @param {() => Promise<T>} call
 * @param {(err: unknown) => Error} otherwise
 * @returns {Promise<T>}
 */
export async function callPlugin(spec, call, otherwise) {
  try {
    return await call();
  } catch (err) {
    const code = notInstalledCode(err);
    if (code) throw notInstalled(spec, code === 'UNAVAILABLE' ? 'is unavailable (UNAVAILABLE: not installed, or not usable on this device)' : `is not available (${code})`, err);
    throw otherwise(err);
  }
}

/**
 * The checks an adapter makes when it is made, in this order:
 * - no plugin object: UNSUPPORTED (the import found nothing to use);
 * - a Capacitor proxy registered under another name: INVALID_ARGUMENT
 *   (what can be told: a wrapper or a fake is taken on trust);
 * - an object without the methods: INVALID_ARGUMENT;
 * - on iOS and Android, a secret store whose native part the app does not
 *   hold (its entry in Capacitor.PluginHeaders, which a wrapper cannot hide:
 *   the name is known), or holds without the methods the adapter needs (an
 *   older plugin, or another plugin under that name): UNSUPPORTED;
 *   capacitorKeystore's plugin, registered under a name, without an
 *   implementation (Capacitor.isPluginAvailable): UNSUPPORTED, and whose
 *   native entry lacks wrapKey/unwrapKey: INVALID_ARGUMENT;
 * - a secret store anywhere else — the web, and custom platforms such as
 *   Electron, where Capacitor runs the plugins' web implementations — where
 *   its key would sit in the page's own storage next to the data:
 *   UNSUPPORTED unless `allowInsecureWeb`.
 * @param {unknown} plugin
 * @param {PluginSpec} spec
 * @param {{ allowInsecureWeb?: boolean, otherNames?: string[] }} [options]
 *   otherNames: for an adapter whose plugin name is the app's (capacitorKeystore),
 *   the names that are known to be wrong
 */
export function checkPlugin(plugin, spec, { allowInsecureWeb = false, otherNames = [] } = {}) {
  if (plugin === undefined || plugin === null) throw notInstalled(spec, 'is missing (the plugin object is undefined)');
  if (typeof plugin !== 'object' && typeof plugin !== 'function') {
    throw new EnveilError('INVALID_ARGUMENT', `${spec.adapter}: plugin must be the ${spec.name} object of ${spec.pkg}`);
  }
  const name = registeredName(plugin);
  if (name !== undefined && (otherNames.length ? otherNames.includes(name) : name !== spec.name)) {
    throw new EnveilError('INVALID_ARGUMENT', `${spec.adapter}: given the Capacitor plugin "${name}", which is not ${spec.name} (${spec.pkg})`);
  }
  const p = /** @type {Record<string, unknown>} */ (plugin);
  const missing = spec.methods.filter((m) => typeof p[m] !== 'function');
  if (missing.length) {
    throw new EnveilError('INVALID_ARGUMENT', `${spec.adapter}: plugin must have ${spec.methods.join(', ')} (missing ${missing.join(', ')}): pass ${spec.name} from ${spec.pkg}`);
  }
  const where = platform();
  if (NATIVE_PLATFORMS.includes(where)) {
    checkNative(spec, name);
    return;
  }
  if (spec.onWeb && allowInsecureWeb !== true) {
    throw new EnveilError('UNSUPPORTED',
      `${spec.adapter}: on ${where === 'web' ? 'the web' : `${where} (a platform that runs the plugins' web implementations)`} ${spec.pkg} keeps the master key ${spec.onWeb}, where anyone with the site's files reads it; ` +
      'use providers.webCrypto() there (or pass { allowInsecureWeb: true } for demos and tests)');
  }
}

/**
 * On iOS and Android: the plugin's native part is there, with the methods
 * the adapter calls.
 * @param {PluginSpec} spec @param {string | undefined} registered
 */
function checkNative(spec, registered) {
  if (spec.nativeMethods) {
    // A secret store: native-only, its name known even through a wrapper.
    const entry = nativeEntry(spec.name);
    if (entry === undefined) throw notInstalled(spec, 'has no native implementation');
    const lacking = entry ? spec.nativeMethods.filter((m) => !entry.methods?.some((x) => x?.name === m)) : [];
    if (lacking.length) throw notInstalled(spec, `is installed without ${lacking.join(', ')} (too old a version: see the README's minimum versions)`);
    return;
  }
  if (registered === undefined) return;
  if (capacitor()?.isPluginAvailable?.(registered) === false) throw notInstalled(spec, `(registered as "${registered}") has no implementation`);
  const entry = nativeEntry(registered);
  const lacking = entry ? spec.methods.filter((m) => !entry.methods?.some((x) => x?.name === m)) : [];
  if (lacking.length) {
    throw new EnveilError('INVALID_ARGUMENT', `${spec.adapter}: the Capacitor plugin "${registered}" has no native ${lacking.join(', ')}: it is not ${spec.name} (${spec.pkg})`);
  }
}
