// Test-only builder of share metadata exactly as docs/protocol.md §1 defines it (layout, piece size
// rule, SHA-256 id); metadata_builder.test.mjs pins it to the §1.4 test vector.

import crypto from 'node:crypto';

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

export const MIN_PIECE_SIZE = 256 * KiB;
export const MAX_PIECE_SIZE = 16 * MiB;
export const MAX_PIECE_COUNT = 32768;

// §1.2: the smallest power of two ≥ 256 KiB giving piece_count ≤ 32768, at most 16 MiB.
export function pieceSizeFor(totalSize) {
  let ps = MIN_PIECE_SIZE;
  while (Math.ceil(totalSize / ps) > MAX_PIECE_COUNT && ps < MAX_PIECE_SIZE) ps *= 2;
  return ps;
}

// Encodes the §1.1 layout from the given fields as they are, valid or not, so tests can break
// exactly one rule. `pieceCount` defaults to pieceHashes.length.
export function encodeMetadata({
  magic = 'PSH1',
  pieceSize,
  name,
  files,
  pieceHashes = [],
  pieceCount = pieceHashes.length,
  fileCount = files.length,
  trailing,
}) {
  const parts = [];
  parts.push(Buffer.from(magic, 'latin1'));
  parts.push(u32(pieceSize));
  const nameBuf = Buffer.isBuffer(name) ? name : Buffer.from(name, 'utf8');
  parts.push(u16(nameBuf.length), nameBuf);
  parts.push(u32(fileCount));
  for (const f of files) {
    const p = Buffer.isBuffer(f.path) ? f.path : Buffer.from(f.path, 'utf8');
    parts.push(u16(p.length), p, u64(f.size));
  }
  parts.push(u32(pieceCount));
  for (const h of pieceHashes) parts.push(h);
  if (trailing) parts.push(trailing);
  return Buffer.concat(parts);
}

function u16(n) {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
function u32(n) {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function u64(n) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export function sha256(buf) {
  return crypto.createHash('sha256').update(buf).digest();
}

export function idOf(bytes) {
  return sha256(bytes).toString('hex');
}

// Wraps metadata bytes as a share: {bytes, id, base64}.
export function shareFromBytes(bytes) {
  return { bytes, id: idOf(bytes), base64: bytes.toString('base64') };
}

// Builds the metadata of real content: files [{path, data: Buffer}] (hashes computed).
export function buildShare({ name, files }) {
  const total = files.reduce((n, f) => n + f.data.length, 0);
  const pieceSize = pieceSizeFor(total);
  const all = Buffer.concat(files.map((f) => f.data));
  const pieceHashes = [];
  for (let off = 0; off < all.length; off += pieceSize) pieceHashes.push(sha256(all.subarray(off, off + pieceSize)));
  const bytes = encodeMetadata({
    pieceSize,
    name,
    files: files.map((f) => ({ path: f.path, size: f.data.length })),
    pieceHashes,
  });
  return { ...shareFromBytes(bytes), name, pieceSize, pieceCount: pieceHashes.length, totalSize: total, files };
}

// A valid layout for content the test never materialises: files [{path, size}], made-up piece
// hashes (the server cannot tell). `pieceSize` overrides the rule, to break it.
export function buildFakeShare({ name, files, pieceSize }) {
  const total = files.reduce((n, f) => n + f.size, 0);
  const ps = pieceSize ?? pieceSizeFor(total);
  const count = total === 0 ? 0 : Math.ceil(total / ps);
  const pieceHashes = [];
  for (let i = 0; i < count; i++) pieceHashes.push(sha256(Buffer.from(`${name}/${i}`)));
  const bytes = encodeMetadata({ pieceSize: ps, name, files, pieceHashes });
  return { ...shareFromBytes(bytes), name, pieceSize: ps, pieceCount: count, totalSize: total };
}

// A small valid share with a unique id.
export function makeShare(label = 'share') {
  const tag = crypto.randomBytes(4).toString('hex');
  return buildShare({
    name: `${label}-${tag}`,
    files: [{ path: `${label}.bin`, data: crypto.randomBytes(1000) }],
  });
}

// The §1.4 test vector input.
export function vectorShare() {
  const a = Buffer.alloc(300000);
  for (let i = 0; i < a.length; i++) a[i] = i % 251;
  return buildShare({
    name: 'vector',
    files: [
      { path: 'a.bin', data: a },
      { path: 'dir/b.txt', data: Buffer.from('hello\n') },
    ],
  });
}

export const VECTOR_HEX =
  '50534831000400000006766563746f72000000020005612e62696e0000000000' +
  '0493e000096469722f622e74787400000000000000060000000231a1f9dea016' +
  '9551092d05e8bf4a446228c8c3eb4c9b713c66adcb7fd53c89be7c25b2c404df' +
  'bc6104e78cd6eea1fa847fa81e2374f949e045fddf95e893b35e';
export const VECTOR_ID = '1ac032bd3e2e7814bc47c70a46001662acb652c376e5a608db6d65615e37356e';

