// Covers engine/metadata: the docs/protocol.md §1.4 test vector, round trips, the piece size rule,
// every rejection rule of §1.1–1.3 (the same cases as server/tests/unit/core/metadata_test.cpp),
// and the piece/file arithmetic.
import { describe, expect, it } from 'vitest';
import { GiB, KiB, MAX_FILES, MAX_METADATA_BYTES, MiB } from '../../src/engine/constants';
import { MetadataError } from '../../src/engine/errors';
import { shareId, type PieceIndex } from '../../src/engine/ids';
import {
  decodeMetadata,
  encodeMetadata,
  fileSpans,
  fromHex,
  pieceCountFor,
  pieceLength,
  pieceOffset,
  pieceSizeFor,
  resourceIdOf,
  sha256,
  toHex,
  verifyMetadata,
  verifyPiece,
  type FileEntry,
  type ShareMetadata,
} from '../../src/engine/metadata';
import { pieceAt } from './test-ids';

const VECTOR_HEX =
  '50534831000400000006766563746f72000000020005612e62696e0000000000' +
  '0493e000096469722f622e74787400000000000000060000000231a1f9dea016' +
  '9551092d05e8bf4a446228c8c3eb4c9b713c66adcb7fd53c89be7c25b2c404df' +
  'bc6104e78cd6eea1fa847fa81e2374f949e045fddf95e893b35e';
const VECTOR_ID = shareId('1ac032bd3e2e7814bc47c70a46001662acb652c376e5a608db6d65615e37356e');

const utf8 = (s: string) => new TextEncoder().encode(s);

// Builds a share the way a client does: cut the concatenated contents into pieces and hash them.
async function buildShare(name: string, files: { path: string; data: Uint8Array }[]) {
  const total = files.reduce((n, f) => n + f.data.length, 0);
  const content = new Uint8Array(total);
  let at = 0;
  for (const f of files) {
    content.set(f.data, at);
    at += f.data.length;
  }
  const pieceSize = pieceSizeFor(total);
  const pieceHashes: Uint8Array[] = [];
  for (let offset = 0; offset < total; offset += pieceSize)
    pieceHashes.push(await sha256(content.subarray(offset, offset + pieceSize)));
  const bytes = encodeMetadata({ name, files: files.map((f) => ({ path: f.path, size: f.data.length })), pieceHashes });
  return { bytes, content };
}

async function vectorShare() {
  const a = new Uint8Array(300000);
  for (let i = 0; i < a.length; i++) a[i] = i % 251;
  return buildShare('vector', [
    { path: 'a.bin', data: a },
    { path: 'dir/b.txt', data: utf8('hello\n') },
  ]);
}

// Writes the §1.1 layout from the given fields as they are, valid or not, so a test can break
// exactly one rule. Names and paths given as bytes are written raw.
interface RawShare {
  magic?: string;
  pieceSize?: number;
  name?: string | Uint8Array;
  files: { path: string | Uint8Array; size: number | bigint }[];
  pieceCount?: number;
  hashCount?: number;
  trailing?: Uint8Array;
}
function raw(share: RawShare): Uint8Array {
  const total = share.files.reduce((n, f) => n + Number(f.size), 0);
  // Above 512 GiB there is no valid piece size; the parser refuses the file table first.
  const fits = total <= 512 * GiB;
  const pieceSize = share.pieceSize ?? (fits ? pieceSizeFor(total) : 16 * MiB);
  const hashCount = share.hashCount ?? share.pieceCount ?? (fits ? pieceCountFor(total, pieceSize) : 0);
  const parts: number[] = [];
  const u = (n: number | bigint, bytes: number) => {
    for (let shift = BigInt((bytes - 1) * 8); shift >= 0n; shift -= 8n) parts.push(Number((BigInt(n) >> shift) & 0xffn));
  };
  const text = (t: string | Uint8Array) => (typeof t === 'string' ? utf8(t) : t);
  parts.push(...text(share.magic ?? 'PSH1'));
  u(pieceSize, 4);
  const name = text(share.name ?? 'share');
  u(name.length, 2);
  parts.push(...name);
  u(share.files.length, 4);
  for (const f of share.files) {
    const path = text(f.path);
    u(path.length, 2);
    parts.push(...path);
    u(f.size, 8);
  }
  u(share.pieceCount ?? hashCount, 4);
  const out = new Uint8Array(parts.length + hashCount * 32 + (share.trailing?.length ?? 0));
  out.set(parts);
  if (share.trailing) out.set(share.trailing, out.length - share.trailing.length);
  return out;
}

function codeOf(bytes: Uint8Array): string {
  try {
    decodeMetadata(bytes);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(MetadataError);
    expect((e as MetadataError).message).not.toBe('');
    return (e as MetadataError).code;
  }
}

// A valid share with this file table (the hashes are placeholders of the right count).
const withFiles = (files: RawShare['files'], name: RawShare['name'] = 'share') => raw({ name, files });

describe('metadata test vector (§1.4)', () => {
  it('built from the input has the documented piece layout', async () => {
    const meta = decodeMetadata((await vectorShare()).bytes);
    expect(meta.totalSize).toBe(300006);
    expect(meta.pieceSize).toBe(262144);
    expect(meta.pieceCount).toBe(2);
  });

  it('encodes to the documented bytes and hashes to the documented id', async () => {
    const { bytes } = await vectorShare();
    expect(bytes.length).toBe(122);
    expect(toHex(bytes)).toBe(VECTOR_HEX);
    expect(await resourceIdOf(bytes)).toBe(VECTOR_ID);
  });

  it('documented bytes decode to the input', () => {
    const meta = decodeMetadata(fromHex(VECTOR_HEX));
    expect(meta.name).toBe('vector');
    expect(meta.files).toEqual([
      { path: 'a.bin', size: 300000 },
      { path: 'dir/b.txt', size: 6 },
    ]);
    expect(meta.fileOffsets).toEqual([0, 300000]);
    expect(meta.pieceHashes.map(toHex)).toEqual([VECTOR_HEX.slice(116, 180), VECTOR_HEX.slice(180)]);
  });

  it('refuses every truncation', () => {
    const bytes = fromHex(VECTOR_HEX);
    for (let n = 0; n < bytes.length; n++) expect(codeOf(bytes.subarray(0, n)), `first ${n} bytes`).toBe('bad_metadata');
  });

  it('verifies against its id, and refuses another id', async () => {
    const bytes = fromHex(VECTOR_HEX);
    expect((await verifyMetadata(bytes, VECTOR_ID)).name).toBe('vector');
    await expect(verifyMetadata(bytes, shareId('0'.repeat(64)))).rejects.toMatchObject({
      name: 'MetadataError',
      code: 'metadata_mismatch',
    });
    await expect(verifyMetadata(new Uint8Array(MAX_METADATA_BYTES + 1), VECTOR_ID)).rejects.toMatchObject({
      code: 'metadata_too_large',
    });
  });

  it('verifies pieces against their hashes', async () => {
    const { bytes, content } = await vectorShare();
    const meta = decodeMetadata(bytes);
    expect(await verifyPiece(meta, pieceAt(0), content.subarray(0, 262144))).toBe(true);
    expect(await verifyPiece(meta, pieceAt(1), content.subarray(262144))).toBe(true);
    expect(await verifyPiece(meta, pieceAt(1), content.subarray(262144, 300005))).toBe(false);
    const corrupt = content.slice(262144);
    corrupt[0] ^= 1;
    expect(await verifyPiece(meta, pieceAt(1), corrupt)).toBe(false);
  });
});

describe('metadata round trips', () => {
  it('decode of encode gives the same share', async () => {
    const shares: { name: string; files: FileEntry[] }[] = [
      { name: 'one empty file', files: [{ path: 'empty', size: 0 }] },
      {
        name: 'naïve ✓ 😀',
        files: [
          { path: 'x/y/z.txt', size: 3 },
          { path: 'x/w', size: 1000 },
          { path: 'ab/c', size: 1 },
        ],
      },
      { name: '\ufeffbom kept', files: [{ path: '\ufeffa', size: 1 }] },
    ];
    for (const share of shares) {
      const pieceHashes = Array.from({ length: pieceCountFor(share.files.reduce((n, f) => n + f.size, 0), 256 * KiB) }, (_, i) =>
        new Uint8Array(32).fill(i + 1),
      );
      const meta = decodeMetadata(encodeMetadata({ ...share, pieceHashes }));
      expect(meta.name).toBe(share.name);
      expect(meta.files).toEqual(share.files);
      expect(meta.pieceHashes).toEqual(pieceHashes);
    }
  });

  it('a share of only empty files has zero pieces', () => {
    const meta = decodeMetadata(encodeMetadata({ name: 's', files: [{ path: 'a', size: 0 }, { path: 'b', size: 0 }], pieceHashes: [] }));
    expect(meta.pieceSize).toBe(256 * KiB);
    expect(meta.pieceCount).toBe(0);
    expect(meta.totalSize).toBe(0);
  });

  it('decoded hashes do not alias the input buffer', () => {
    const bytes = fromHex(VECTOR_HEX);
    const meta = decodeMetadata(bytes);
    bytes.fill(0);
    expect(toHex(meta.pieceHashes[0]!)).toBe(VECTOR_HEX.slice(116, 180));
  });

  it('accepts an ArrayBuffer and a view into a larger buffer', () => {
    const bytes = fromHex(VECTOR_HEX);
    expect(decodeMetadata(bytes.slice().buffer).name).toBe('vector');
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 5);
    expect(decodeMetadata(padded.subarray(5, 5 + bytes.length)).name).toBe('vector');
  });
});

describe('piece size rule (§1.2)', () => {
  it('follows the documented table at its boundaries', () => {
    const table: [number, number][] = [
      [0, 256 * KiB],
      [1, 256 * KiB],
      [8 * GiB, 256 * KiB],
      [8 * GiB + 1, 512 * KiB],
      [16 * GiB, 512 * KiB],
      [16 * GiB + 1, 1 * MiB],
      [32 * GiB, 1 * MiB],
      [32 * GiB + 1, 2 * MiB],
      [256 * GiB, 8 * MiB],
      [256 * GiB + 1, 16 * MiB],
      [512 * GiB, 16 * MiB],
    ];
    for (const [total, piece] of table) expect(pieceSizeFor(total), `total ${total}`).toBe(piece);
  });

  it('throws above 512 GiB', () => {
    expect(() => pieceSizeFor(512 * GiB + 1)).toThrow(MetadataError);
    expect(() => pieceSizeFor(2 ** 53 - 1)).toThrow(/512 GiB/);
    expect(() => pieceSizeFor(-1)).toThrow(MetadataError);
  });

  it('piece count rounds up and is zero for an empty share', () => {
    expect(pieceCountFor(0, 256 * KiB)).toBe(0);
    expect(pieceCountFor(1, 256 * KiB)).toBe(1);
    expect(pieceCountFor(256 * KiB, 256 * KiB)).toBe(1);
    expect(pieceCountFor(256 * KiB + 1, 256 * KiB)).toBe(2);
    expect(pieceCountFor(512 * GiB, 16 * MiB)).toBe(32768);
    expect(pieceCountFor(2 ** 53 - 1, 3)).toBe(3002399751580331);
  });
});

describe('metadata rejects', () => {
  it('a bad magic or another layout version', () => {
    const bytes = fromHex(VECTOR_HEX);
    for (let i = 0; i < 4; i++) {
      const bad = bytes.slice();
      bad[i] = 0x58;
      expect(codeOf(bad), `byte ${i}`).toBe('bad_metadata');
    }
    const version2 = bytes.slice();
    version2[3] = 0x32;
    expect(codeOf(version2)).toBe('bad_metadata');
  });

  it('zero files', () => {
    expect(codeOf(withFiles([]))).toBe('bad_metadata');
  });

  it('more than 10000 files but accepts 10000', () => {
    const files = Array.from({ length: MAX_FILES }, (_, i) => ({ path: `f${i}`, size: 1 }));
    expect(codeOf(withFiles(files))).toBe('ok');
    expect(codeOf(withFiles([...files, { path: 'one-too-many', size: 1 }]))).toBe('bad_metadata');
  });

  it('an empty path', () => {
    expect(codeOf(withFiles([{ path: '', size: 1 }]))).toBe('bad_metadata');
  });

  it('a path longer than 1024 bytes but accepts 1024', () => {
    expect(codeOf(withFiles([{ path: 'p'.repeat(1024), size: 1 }]))).toBe('ok');
    expect(codeOf(withFiles([{ path: 'p'.repeat(1025), size: 1 }]))).toBe('bad_metadata');
    // Bytes, not characters: 512 two-byte characters fit, 513 do not.
    expect(codeOf(withFiles([{ path: 'é'.repeat(512), size: 1 }]))).toBe('ok');
    expect(codeOf(withFiles([{ path: 'é'.repeat(513), size: 1 }]))).toBe('bad_metadata');
  });

  it('control characters in a path', () => {
    for (const path of ['a\x01', 'a\tb', 'a\nb', 'a\x1f', 'a\x7f', 'a\0b'])
      expect(codeOf(withFiles([{ path, size: 1 }])), JSON.stringify(path)).toBe('bad_metadata');
  });

  it('a backslash in a path', () => {
    expect(codeOf(withFiles([{ path: 'dir\\file', size: 1 }]))).toBe('bad_metadata');
    expect(codeOf(withFiles([{ path: '..\\..\\evil', size: 1 }]))).toBe('bad_metadata');
  });

  it("'.' and '..' components", () => {
    for (const path of ['.', '..', './a', 'a/.', 'a/./b', '../a', 'a/..', 'a/../b'])
      expect(codeOf(withFiles([{ path, size: 1 }])), path).toBe('bad_metadata');
  });

  it('empty components, including a leading or trailing slash', () => {
    for (const path of ['/a', 'a/', 'a//b', '/', '//'])
      expect(codeOf(withFiles([{ path, size: 1 }])), path).toBe('bad_metadata');
  });

  it('invalid UTF-8 in a path', () => {
    for (const path of [[0x61, 0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x61, 0xe2, 0x82]])
      expect(codeOf(withFiles([{ path: Uint8Array.from(path), size: 1 }])), toHex(Uint8Array.from(path))).toBe('bad_metadata');
  });

  it('duplicate paths', () => {
    expect(codeOf(withFiles([{ path: 'a', size: 1 }, { path: 'b', size: 1 }, { path: 'a', size: 2 }]))).toBe('bad_metadata');
  });

  it('a file path used as a directory, in either order', () => {
    expect(codeOf(withFiles([{ path: 'a', size: 1 }, { path: 'a/b', size: 1 }]))).toBe('bad_metadata');
    expect(codeOf(withFiles([{ path: 'a/b', size: 1 }, { path: 'a', size: 1 }]))).toBe('bad_metadata');
    expect(codeOf(withFiles([{ path: 'x/y/z', size: 1 }, { path: 'x/y', size: 1 }]))).toBe('bad_metadata');
  });

  it('nothing when a path is only a string prefix of another', () => {
    expect(codeOf(withFiles([{ path: 'a', size: 1 }, { path: 'ab/c', size: 1 }, { path: 'a.d/e', size: 1 }]))).toBe('ok');
    expect(codeOf(withFiles([{ path: '.hidden', size: 1 }, { path: 'a/...', size: 1 }, { path: '..b/c', size: 1 }]))).toBe('ok');
  });

  it('a file larger than 2^53 - 1 bytes', () => {
    for (const size of [2n ** 53n, 2n ** 64n - 1n])
      expect(() => decodeMetadata(withFiles([{ path: 'big', size }]))).toThrow(/2\^53 - 1/);
  });

  it('a share larger than 512 GiB', () => {
    expect(codeOf(withFiles([{ path: 'a', size: 256 * GiB }, { path: 'b', size: 256 * GiB }]))).toBe('ok');
    expect(() => decodeMetadata(withFiles([{ path: 'a', size: 256 * GiB }, { path: 'b', size: 256 * GiB + 1 }]))).toThrow(
      /larger than 512 GiB/,
    );
  });

  it('an empty name', () => {
    expect(codeOf(withFiles([{ path: 'a', size: 1 }], ''))).toBe('bad_metadata');
  });

  it('a name longer than 255 bytes but accepts 255', () => {
    expect(codeOf(withFiles([{ path: 'a', size: 1 }], 'n'.repeat(255)))).toBe('ok');
    expect(codeOf(withFiles([{ path: 'a', size: 1 }], 'n'.repeat(256)))).toBe('bad_metadata');
  });

  it("a name with a slash, or that is '.' or '..'", () => {
    for (const name of ['my/share', '/', '.', '..'])
      expect(codeOf(withFiles([{ path: 'a', size: 1 }], name)), name).toBe('bad_metadata');
    expect(codeOf(withFiles([{ path: 'a', size: 1 }], '..hidden'))).toBe('ok');
  });

  it('a name with control characters or a backslash', () => {
    for (const name of ['a\x01', 'a\nb', 'a\x7f', 'a\\b'])
      expect(codeOf(withFiles([{ path: 'a', size: 1 }], name)), JSON.stringify(name)).toBe('bad_metadata');
  });

  it('invalid UTF-8 in the name', () => {
    for (const name of [[0xff], [0x61, 0xc3], [0xf4, 0x90, 0x80, 0x80]])
      expect(codeOf(withFiles([{ path: 'a', size: 1 }], Uint8Array.from(name)))).toBe('bad_metadata');
  });

  it('a piece size other than the rule', () => {
    const files = [{ path: 'a', size: 300006 }];
    expect(codeOf(raw({ files }))).toBe('ok');
    for (const pieceSize of [0, 128 * KiB, 512 * KiB, 262145])
      expect(codeOf(raw({ files, pieceSize, pieceCount: 2 })), `piece size ${pieceSize}`).toBe('bad_metadata');
  });

  it('a piece count that does not match the total size', () => {
    const files = [{ path: 'a', size: 300006 }];
    expect(codeOf(raw({ files, pieceCount: 3 }))).toBe('bad_metadata');
    expect(codeOf(raw({ files, pieceCount: 1 }))).toBe('bad_metadata');
    expect(codeOf(raw({ files, pieceCount: 2, hashCount: 1 }))).toBe('bad_metadata');
  });

  it('trailing bytes', () => {
    const bytes = fromHex(VECTOR_HEX);
    expect(codeOf(Uint8Array.of(...bytes, 0))).toBe('bad_metadata');
    expect(codeOf(Uint8Array.of(...bytes, ...bytes))).toBe('bad_metadata');
  });

  it('documents over 2 MiB as too large before reading them', () => {
    const huge = new Uint8Array(MAX_METADATA_BYTES + 1);
    huge.set(utf8('PSH1'));
    expect(codeOf(huge)).toBe('metadata_too_large');
    expect(codeOf(huge.subarray(0, MAX_METADATA_BYTES))).toBe('bad_metadata');
  });
});

describe('encodeMetadata', () => {
  const hashes = (n: number) => Array.from({ length: n }, () => new Uint8Array(32));
  const encodeCode = (share: Parameters<typeof encodeMetadata>[0]): string => {
    try {
      encodeMetadata(share);
      return 'ok';
    } catch (e) {
      expect(e).toBeInstanceOf(MetadataError);
      return (e as MetadataError).code;
    }
  };

  it('refuses what the parser refuses', () => {
    const bad: Parameters<typeof encodeMetadata>[0][] = [
      { name: '', files: [{ path: 'a', size: 1 }], pieceHashes: hashes(1) },
      { name: '..', files: [{ path: 'a', size: 1 }], pieceHashes: hashes(1) },
      { name: 'n'.repeat(256), files: [{ path: 'a', size: 1 }], pieceHashes: hashes(1) },
      { name: 's', files: [], pieceHashes: [] },
      { name: 's', files: [{ path: 'a/../b', size: 1 }], pieceHashes: hashes(1) },
      { name: 's', files: [{ path: 'p'.repeat(1025), size: 1 }], pieceHashes: hashes(1) },
      { name: 's', files: [{ path: 'a', size: 1 }, { path: 'a', size: 1 }], pieceHashes: hashes(1) },
      { name: 's', files: [{ path: 'a', size: 1 }, { path: 'a/b', size: 1 }], pieceHashes: hashes(1) },
      { name: 's', files: [{ path: 'a', size: 1 }], pieceHashes: hashes(2) },
      { name: 's', files: [{ path: 'a', size: 1 }], pieceHashes: [new Uint8Array(31)] },
      { name: 's', files: [{ path: 'a', size: 1.5 }], pieceHashes: hashes(1) },
      { name: 's', files: [{ path: 'a', size: -1 }], pieceHashes: hashes(1) },
      { name: 's', files: [{ path: 'a', size: 2 ** 53 }], pieceHashes: hashes(1) },
      { name: 's', files: [{ path: 'a', size: 512 * GiB + 1 }], pieceHashes: hashes(32769) },
    ];
    for (const share of bad) expect(encodeCode(share), JSON.stringify(share).slice(0, 80)).toBe('bad_metadata');
  });

  it('refuses a string with a lone surrogate instead of writing U+FFFD', () => {
    expect(encodeCode({ name: 'a\ud800', files: [{ path: 'a', size: 1 }], pieceHashes: hashes(1) })).toBe('bad_metadata');
    expect(encodeCode({ name: 's', files: [{ path: '\udc00', size: 1 }], pieceHashes: hashes(1) })).toBe('bad_metadata');
  });

  it('refuses a document over 2 MiB as too large', () => {
    const files = Array.from({ length: MAX_FILES }, (_, i) => ({ path: `${i}`.padStart(300, 'p'), size: 0 }));
    expect(encodeCode({ name: 's', files, pieceHashes: [] })).toBe('metadata_too_large');
  });
});

describe('pieces and files', () => {
  const meta = decodeMetadata(fromHex(VECTOR_HEX));

  it('pieces are pieceSize bytes except a short last one', () => {
    expect(pieceOffset(meta, pieceAt(0))).toBe(0);
    expect(pieceOffset(meta, pieceAt(1))).toBe(262144);
    expect(pieceLength(meta, pieceAt(0))).toBe(262144);
    expect(pieceLength(meta, pieceAt(1))).toBe(300006 - 262144);
    expect(() => pieceLength(meta, pieceAt(2) as PieceIndex)).toThrow(RangeError);
    expect(() => pieceOffset(meta, -1 as PieceIndex)).toThrow(RangeError);
  });

  it('a piece spanning a file boundary maps onto both files', () => {
    expect(fileSpans(meta, 262144, 37862)).toEqual([
      { fileIndex: 0, fileOffset: 262144, length: 37856 },
      { fileIndex: 1, fileOffset: 0, length: 6 },
    ]);
  });

  // Files:   a (10)   e1 (0)   b (5)   e2 (0)   d (7)   e3 (0)
  // Offsets: 0        10       10      15       15      22
  const spread: ShareMetadata = (() => {
    const files: FileEntry[] = [
      { path: 'a', size: 10 },
      { path: 'e1', size: 0 },
      { path: 'b', size: 5 },
      { path: 'e2', size: 0 },
      { path: 'd', size: 7 },
      { path: 'e3', size: 0 },
    ];
    return decodeMetadata(encodeMetadata({ name: 's', files, pieceHashes: hashes(1) }));
  })();
  function hashes(n: number) {
    return Array.from({ length: n }, () => new Uint8Array(32));
  }

  it('a range crossing boundaries skips empty files', () => {
    expect(spread.fileOffsets).toEqual([0, 10, 10, 15, 15, 22]);
    expect(fileSpans(spread, 0, 22)).toEqual([
      { fileIndex: 0, fileOffset: 0, length: 10 },
      { fileIndex: 2, fileOffset: 0, length: 5 },
      { fileIndex: 4, fileOffset: 0, length: 7 },
    ]);
    expect(fileSpans(spread, 8, 4)).toEqual([
      { fileIndex: 0, fileOffset: 8, length: 2 },
      { fileIndex: 2, fileOffset: 0, length: 2 },
    ]);
  });

  it('a range starting at a boundary behind an empty file starts in the next non-empty file', () => {
    expect(fileSpans(spread, 10, 5)).toEqual([{ fileIndex: 2, fileOffset: 0, length: 5 }]);
    expect(fileSpans(spread, 15, 7)).toEqual([{ fileIndex: 4, fileOffset: 0, length: 7 }]);
    expect(fileSpans(spread, 21, 1)).toEqual([{ fileIndex: 4, fileOffset: 6, length: 1 }]);
  });

  it('an empty range covers nothing, and a range past the end throws', () => {
    expect(fileSpans(spread, 22, 0)).toEqual([]);
    expect(fileSpans(spread, 5, 0)).toEqual([]);
    expect(() => fileSpans(spread, 20, 3)).toThrow(RangeError);
    expect(() => fileSpans(spread, -1, 1)).toThrow(RangeError);
  });
});

describe('hex', () => {
  it('round trips and refuses non-hex', () => {
    expect(toHex(Uint8Array.of(0, 1, 0xab, 0xff))).toBe('0001abff');
    expect([...fromHex('0001abFF')]).toEqual([0, 1, 0xab, 0xff]);
    expect(() => fromHex('abc')).toThrow(RangeError);
    expect(() => fromHex('zz')).toThrow(RangeError);
  });
});
