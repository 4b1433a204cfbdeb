// The canonical text of plain fields (README "Formats", store format 2): it
// is part of every record's AAD, so it must be the same in every engine and
// never the same for two different values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonical, paddedLength } from '../../../js/store/record-codec.js';

test('canonical text of plain values, as the format spec writes it', () => {
  const cases = [
    ['a"b', '"a\\"b"'], [true, 'true'], [false, 'false'], [null, 'null'], [undefined, 'undefined'],
    [0, '0'], [-0, '-0'], [1e21, '1e+21'], [0.1, '0.1'], [-5, '-5'], [NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity'],
    [[1, 'x', [null]], '[1,"x",[null]]'],
    [{ b: 1, a: { d: [], c: '' } }, '{"a":{"c":"","d":[]},"b":1}'],
    [new Date(86400000), 'D86400000'], [new Date(NaN), 'DNaN'],
    [new Uint8Array([0, 255, 16]), 'B"00ff10"'],
    [JSON.parse('{"__proto__":1}'), '{"__proto__":1}'],
    [Object.assign(Object.create(null), { z: 1 }), '{"z":1}'],
    [[undefined, 1], '[undefined,1]'],
  ];
  for (const [value, text] of cases) assert.equal(canonical(value), text, String(text));
});

test('different values never share a canonical text', () => {
  const values = [0, -0, '0', 'D0', new Date(0), [0], { 0: 0 }, new Uint8Array([0]), [new Uint8Array(1)], null, 'null',
    undefined, 'undefined', NaN, 'NaN', true, 'true', [], {}, '', [[]], [{}], ['a,b'], ['a', 'b'], { a: 'b' }, { 'a":"b': 1 }];
  const texts = values.map(canonical);
  assert.equal(new Set(texts).size, texts.length, texts.join('  '));
});

test('what cannot be authenticated is refused, not stored half-bound', () => {
  for (const value of [new Map(), new Set(), 1n, Symbol('s'), () => {}, new Uint16Array(1), new ArrayBuffer(1), /re/, new (class X {})(),
    Buffer.from('x'), Object.setPrototypeOf([], Object.create(Array.prototype)), [, 1], Object.assign([1], { x: 1 })]) { // eslint-disable-line no-sparse-arrays
    assert.throws(() => canonical(value), TypeError, Object.prototype.toString.call(value));
  }
});

test('Padmé: at least 32 bytes, then at most 12% more, one length per size class', () => {
  assert.equal(paddedLength(4, 'padme'), 32); // true
  assert.equal(paddedLength(5, 'padme'), 32); // false
  assert.equal(paddedLength(32, 'padme'), 32);
  assert.equal(paddedLength(33, 'padme'), 36);
  assert.equal(paddedLength(1000, 'padme'), 1024);
  assert.equal(paddedLength(5, 'none'), 5);
  for (let n = 33; n < 70000; n += 37) {
    const p = paddedLength(n, 'padme');
    assert.ok(p >= n && p <= n * 1.12 + 1, `${n} → ${p}`);
  }
});
