// A Capacitor Android app in Node, as far as the JavaScript side can tell:
// the globals the native bridge installs (window.androidBridge, the plugin
// headers, Capacitor.nativePromise), under the real @capacitor/core and the
// real plugin packages, which register their proxies with it. The native
// side of each plugin is a recording fake that keeps its items in memory and
// behaves as the plugin's Android source does (see each fake). Import this
// module before @capacitor/core and the plugins (it sets the globals when it
// is evaluated), then load them with loadPlugins().
import nodeCrypto from 'node:crypto';

/** Every native call, in order: `Plugin.method`. @type {string[]} */
export const calls = [];
/** The options of the last call of each `Plugin.method`. @type {Record<string, any>} */
export const lastOptions = {};

/** A native rejection, as the bridge delivers it: an Error with a string code. */
const rejection = (message, code) => Object.assign(new Error(message), code === undefined ? {} : { code });

/** State the tests steer: the next biometric prompt's outcome, a plugin that rejects every call. */
export const native = {
  /** @type {'ok' | 'cancel'} */
  nextPrompt: 'ok',
  prompts: 0,
  /** @type {Record<string, string | undefined>} plugin name → code every call of it rejects with */
  failing: {},
  secureStorage: new Map(),
  secureStoragePlugin: new Map(),
  /** @type {Map<string, { value: string, accessControl: number }>} */
  biometric: new Map(),
  keystore: new Map(),
};

/** @type {Record<string, Record<string, (o: any) => Promise<any>>>} */
const plugins = {
  // @aparajita/capacitor-secure-storage: internalGetItem resolves { data: null } when absent.
  SecureStorage: {
    async internalGetItem({ prefixedKey }) { return { data: native.secureStorage.get(prefixedKey) ?? null }; },
    async internalSetItem({ prefixedKey, data }) { native.secureStorage.set(prefixedKey, data); },
    async internalRemoveItem({ prefixedKey }) { return { success: native.secureStorage.delete(prefixedKey) }; },
  },
  // capacitor-secure-storage-plugin: get rejects when absent.
  SecureStoragePlugin: {
    async get({ key }) {
      if (!native.secureStoragePlugin.has(key)) throw rejection('Item with given key does not exist');
      return { value: native.secureStoragePlugin.get(key) };
    },
    async set({ key, value }) { native.secureStoragePlugin.set(key, value); return { value: true }; },
    async remove({ key }) { return { value: native.secureStoragePlugin.delete(key) }; },
  },
  // @capgo/capacitor-native-biometric: getSecureData prompts; "21" when
  // nothing protected is stored, "16" for a cancel.
  NativeBiometric: {
    async setData({ key, value, accessControl }) { native.biometric.set(key, { value, accessControl: accessControl ?? 0 }); },
    async isDataSaved({ key }) { return { isSaved: native.biometric.has(key) }; },
    async getSecureData({ key }) {
      const item = native.biometric.get(key);
      if (!item || item.accessControl === 0) throw rejection('No protected data found for key', '21');
      native.prompts++;
      if (native.nextPrompt === 'cancel') throw rejection('User canceled', '16');
      return { value: item.value };
    },
    async deleteData({ key }) { native.biometric.delete(key); },
  },
  // An EnveilKeystorePlugin: AES-256-GCM under a key per alias that never
  // leaves "the hardware"; unwrapKey prompts when biometric is set.
  EnveilKeystore: {
    async wrapKey({ alias, key, aad }) {
      if (!native.keystore.has(alias)) native.keystore.set(alias, nodeCrypto.randomBytes(32));
      const iv = nodeCrypto.randomBytes(12);
      const c = nodeCrypto.createCipheriv('aes-256-gcm', native.keystore.get(alias), iv).setAAD(Buffer.from(aad, 'base64'));
      const body = Buffer.concat([c.update(Buffer.from(key, 'base64')), c.final()]);
      return { wrapped: Buffer.concat([iv, body, c.getAuthTag()]).toString('base64') };
    },
    async unwrapKey({ alias, wrapped, aad, biometric }) {
      if (!native.keystore.has(alias)) throw rejection('no key', 'KEY_NOT_FOUND');
      if (biometric) native.prompts++;
      const raw = Buffer.from(wrapped, 'base64');
      const d = nodeCrypto.createDecipheriv('aes-256-gcm', native.keystore.get(alias), raw.subarray(0, 12)).setAAD(Buffer.from(aad, 'base64'));
      d.setAuthTag(raw.subarray(raw.length - 16));
      try {
        return { key: Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('base64') };
      } catch {
        throw rejection('cannot unwrap', 'AUTH_FAILED');
      }
    },
  },
};

globalThis.androidBridge = { postMessage() {} };
globalThis.Capacitor = {
  PluginHeaders: Object.entries(plugins).map(([name, methods]) => ({
    name, methods: Object.keys(methods).map((m) => ({ name: m, rtype: 'promise' })),
  })),
  /** What the native bridge does for a promise method: the call crosses to the plugin. */
  async nativePromise(pluginName, methodName, options) {
    calls.push(`${pluginName}.${methodName}`);
    lastOptions[`${pluginName}.${methodName}`] = options;
    const code = native.failing[pluginName];
    if (code) throw rejection(`"${pluginName}" plugin is not implemented on android`, code);
    const method = plugins[pluginName]?.[methodName];
    if (!method) throw rejection(`"${pluginName}.${methodName}()" is not implemented on android`, 'UNIMPLEMENTED');
    return method(structuredClone(options ?? {}));
  },
};

/**
 * The real packages, registered with the real @capacitor/core on "Android",
 * and the app's own keystore plugin registered as an app would.
 */
export async function loadPlugins() {
  const core = await import('@capacitor/core');
  const { SecureStorage } = await import('@aparajita/capacitor-secure-storage');
  const { SecureStoragePlugin } = await import('capacitor-secure-storage-plugin');
  const { NativeBiometric } = await import('@capgo/capacitor-native-biometric');
  const EnveilKeystore = core.registerPlugin('EnveilKeystore');
  return { core, SecureStorage, SecureStoragePlugin, NativeBiometric, EnveilKeystore };
}

/** Forgets every native item and call (a fresh install). */
export function resetNative() {
  calls.length = 0;
  native.prompts = 0;
  native.nextPrompt = 'ok';
  native.failing = {};
  for (const m of [native.secureStorage, native.secureStoragePlugin, native.biometric, native.keystore]) m.clear();
}
