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
 * Whether the native app has the plugin `name`. The native bridge lists the
 * native plugins it holds in `Capacitor.PluginHeaders`; that list is asked
 * first, because a plugin with a JavaScript part for native platforms
 * (aparajita's) counts as available to `isPluginAvailable` even when its
 * native part was never synced, and its calls then never settle.
 * @param {string} name
 */
function nativelyPresent(name) {
  const headers = /** @type {any} */ (capacitor())?.PluginHeaders;
  if (Array.isArray(headers)) return headers.some((h) => h?.name === name);
  return capacitor()?.isPluginAvailable?.(name) !== false;
}

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
    `${spec.adapter}: the ${spec.name} plugin (${spec.pkg}) ${why} on ${platform()}: install it and run \`npx cap sync\``,
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
    if (code) throw notInstalled(spec, `is not available (${code})`, err);
    throw otherwise(err);
  }
}

/**
 * The checks an adapter makes when it is made, in this order:
 * - no plugin object: UNSUPPORTED (the import found nothing to use);
 * - a Capacitor proxy registered under another name: INVALID_ARGUMENT
 *   (what can be told: a wrapper or a fake cannot be, and is taken on trust);
 * - an object without the methods: INVALID_ARGUMENT;
 * - on a native platform, a plugin the native app does not hold: UNSUPPORTED;
 * - a secret store on the web, where its key would sit in the page's own
 *   storage next to the data: UNSUPPORTED unless `allowInsecureWeb`.
 * @param {unknown} plugin
 * @param {PluginSpec} spec
 * @param {{ allowInsecureWeb?: boolean, otherNames?: string[] }} [options]
 *   otherNames: for an adapter whose plugin name is the app's (capacitorKeystore),
 *   the names that are known to be wrong
 */
export function checkPlugin(plugin, spec, { allowInsecureWeb = false, otherNames = [] } = {}) {
  if (plugin === undefined || plugin === null) throw notInstalled(spec, 'is missing (the plugin object is undefined)');
  const name = registeredName(plugin);
  if (name !== undefined && (otherNames.length ? otherNames.includes(name) : name !== spec.name)) {
    throw new EnveilError('INVALID_ARGUMENT', `${spec.adapter}: given the Capacitor plugin "${name}", which is not ${spec.name} (${spec.pkg})`);
  }
  const p = /** @type {Record<string, unknown>} */ (plugin);
  if (typeof plugin !== 'object' && typeof plugin !== 'function') {
    throw new EnveilError('INVALID_ARGUMENT', `${spec.adapter}: plugin must be the ${spec.name} object of ${spec.pkg}`);
  }
  const missing = spec.methods.filter((m) => typeof p[m] !== 'function');
  if (missing.length) {
    throw new EnveilError('INVALID_ARGUMENT', `${spec.adapter}: plugin must have ${spec.methods.join(', ')} (missing ${missing.join(', ')}): pass ${spec.name} from ${spec.pkg}`);
  }
  const where = platform();
  if (where !== 'web' && name !== undefined && !nativelyPresent(name)) throw notInstalled(spec, 'has no native implementation');
  if (where === 'web' && spec.onWeb && allowInsecureWeb !== true) {
    throw new EnveilError('UNSUPPORTED',
      `${spec.adapter}: on the web ${spec.pkg} keeps the master key ${spec.onWeb}, where anyone with the site's files reads it; ` +
      'use providers.webCrypto() on the web (or pass { allowInsecureWeb: true } for demos and tests)');
  }
}
