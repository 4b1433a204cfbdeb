// node --import ./tests/wasm-asan/register.mjs --test tests/js/
// Runs the JS suite against the WASM build compiled with -fsanitize=address
// (the baseline build, packed into build/dist-asan/packed/ by scripts/test.sh)
// instead of dist/. init() is made to pick the baseline build, the one the
// packed payload is (tests/builds/no-simd.mjs).
import { register } from 'node:module';
import '../builds/no-simd.mjs';

process.env.ENVEIL_WASM_ASAN = '1';
register('./hooks.mjs', import.meta.url);
