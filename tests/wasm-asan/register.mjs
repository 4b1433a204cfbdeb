// node --import ./tests/wasm-asan/register.mjs --test tests/js/
// Runs the JS suite against the WASM build compiled with -fsanitize=address
// (build/dist-asan/, made by scripts/test.sh) instead of dist/.
import { register } from 'node:module';

process.env.ENVEIL_WASM_ASAN = '1';
register('./hooks.mjs', import.meta.url);
