// enveil/providers/definitions: the plugin contract of
// providers.capacitorKeystore() and the KeyProvider interface. Types only
// (definitions.d.ts); this module exists so that the path also resolves at
// run time, e.g. for `import type` compiled by a bundler that keeps imports.
export {};
