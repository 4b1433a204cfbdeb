// Reads what a LevelDB directory holds, as an attacker with the files would:
// .log files as they are, and every data block of every .ldb/.sst table
// decompressed (Chromium's IndexedDB compacts into Snappy-compressed tables,
// where a plain byte search would miss repeated text).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Every file under `dir`, recursively. @param {string} dir @returns {string[]} */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** @param {Buffer} buf @param {number} at @returns {[number, number]} value, next offset */
function varint(buf, at) {
  let value = 0, shift = 0, byte;
  do {
    byte = buf[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** Raw Snappy decompression (the format LevelDB uses for compressed blocks). @param {Buffer} src */
export function snappyDecompress(src) {
  let [length, i] = varint(src, 0);
  const out = Buffer.alloc(length);
  let o = 0;
  while (i < src.length) {
    const tag = src[i++];
    const type = tag & 3;
    if (type === 0) {
      let len = tag >> 2;
      if (len >= 60) {
        const extra = len - 59;
        len = src.readUIntLE(i, extra);
        i += extra;
      }
      len += 1;
      src.copy(out, o, i, i + len);
      i += len;
      o += len;
      continue;
    }
    let len, offset;
    if (type === 1) {
      len = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | src[i++];
    } else if (type === 2) {
      len = (tag >> 2) + 1;
      offset = src.readUInt16LE(i);
      i += 2;
    } else {
      len = (tag >> 2) + 1;
      offset = src.readUInt32LE(i);
      i += 4;
    }
    for (let k = 0; k < len; k++, o++) out[o] = out[o - offset];
  }
  if (o !== length) throw new Error('snappy: length mismatch');
  return out;
}

/** A block's contents given its handle (offset, size), decompressed. @param {Buffer} file */
function block(file, offset, size) {
  const type = file[offset + size];
  const data = file.subarray(offset, offset + size);
  if (type === 0) return data;
  if (type === 1) return snappyDecompress(data);
  throw new Error(`leveldb: unknown block compression ${type}`);
}

/** Every data block of a LevelDB table file, decompressed. @param {Buffer} file @returns {Buffer[]} */
export function tableBlocks(file) {
  const footer = file.subarray(file.length - 48);
  let [, at] = varint(footer, 0); // metaindex offset
  [, at] = varint(footer, at); // metaindex size
  const [indexOffset, next] = varint(footer, at);
  const [indexSize] = varint(footer, next);
  const index = block(file, indexOffset, indexSize);
  const restarts = index.readUInt32LE(index.length - 4);
  const end = index.length - 4 - 4 * restarts;
  const blocks = [index];
  for (let p = 0; p < end;) {
    let shared, unshared, valueLen;
    [shared, p] = varint(index, p);
    [unshared, p] = varint(index, p);
    [valueLen, p] = varint(index, p);
    p += unshared;
    const [offset, q] = varint(index, p);
    const [size] = varint(index, q);
    blocks.push(block(file, offset, size));
    p += valueLen;
    void shared;
  }
  return blocks;
}

/**
 * The searchable contents of a LevelDB directory (and anything else under
 * `dir`): raw files, plus decompressed table blocks.
 * @param {string} dir
 * @returns {Buffer[]}
 */
export function leveldbContents(dir) {
  return files(dir).flatMap((f) => {
    const raw = readFileSync(f);
    return /\.(ldb|sst)$/.test(f) ? [raw, ...tableBlocks(raw)] : [raw];
  });
}
