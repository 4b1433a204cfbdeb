// What EncryptedStore.open()/recover() and TokenVault.open() load on their
// first run (js/internal/load-open-code.js): the classes of an open store
// and of an open vault with the modules they use. One module for both, so
// that a bundler makes one chunk of them and of the modules they share (a
// vault always runs over an open store, so its code comes with the store's).
export { OpenedStore } from '../store/opened-store.js';
export { OpenedVault } from '../vault/opened-vault.js';
