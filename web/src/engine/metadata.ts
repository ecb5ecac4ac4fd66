// Share metadata (docs/protocol.md §1): its binary layout, the piece size rule, every validation
// rule (the same as server/src/core/metadata.cpp), the share id, and the arithmetic that maps
// pieces onto files. Pure; WebCrypto is the only platform API used.

import {
  HASH_BYTES,
  MAX_FILE_SIZE,
  MAX_FILES,
  MAX_METADATA_BYTES,
  MAX_NAME_BYTES,
  MAX_PATH_BYTES,
  MAX_PIECE_COUNT,
  MAX_PIECE_SIZE,
  MAX_TOTAL_SIZE,
  MIN_PIECE_SIZE,
} from './constants';
import { MetadataError } from './errors';
import { shareId, type PieceIndex, type ShareId } from './ids';

export interface FileEntry {
  readonly path: string;
  readonly size: number;
}

// What a share is made of; the piece size and count follow from the files.
export interface ShareInput {
  readonly name: string;
  readonly files: readonly FileEntry[];
  readonly pieceHashes: readonly Uint8Array[];
}

export interface ShareMetadata extends ShareInput {
  readonly pieceSize: number;
  readonly totalSize: number;
  readonly pieceCount: number;
  // fileOffsets[i]: where file i starts in the concatenation of all files.
  readonly fileOffsets: readonly number[];
}

// Part of a byte range of the share that lies in one file.
export interface FileSpan {
  readonly fileIndex: number;
  readonly fileOffset: number;
  readonly length: number;
}

const MAGIC = [0x50, 0x53, 0x48, 0x31]; // "PSH1"

// Strict decoding: invalid UTF-8 throws, and a leading U+FEFF is kept as a character (not
// stripped) so the decoded name has exactly the bytes that were hashed.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function bad(message: string): MetadataError {
  return new MetadataError('bad_metadata', message);
}

// --- the piece size rule (§1.2) ---

// The smallest power of two ≥ 256 KiB that keeps the piece count ≤ 32768. Throws MetadataError
// (bad_metadata) above 512 GiB, where even 16 MiB pieces are too many.
export function pieceSizeFor(totalSize: number): number {
  if (!Number.isSafeInteger(totalSize) || totalSize < 0) throw bad(`invalid total size ${totalSize}`);
  for (let size = MIN_PIECE_SIZE; size <= MAX_PIECE_SIZE; size *= 2)
    if (pieceCountFor(totalSize, size) <= MAX_PIECE_COUNT) return size;
  throw bad('share larger than 512 GiB');
}

// ceil(totalSize / pieceSize), computed without floating-point rounding (0 for an empty share).
export function pieceCountFor(totalSize: number, pieceSize: number): number {
  const rest = totalSize % pieceSize;
  return (totalSize - rest) / pieceSize + (rest === 0 ? 0 : 1);
}

// --- character rules (§1.1) ---

// Why `bytes` (a path or name) breaks the character rules, or '' when it does not. ASCII bytes
// never occur inside a UTF-8 multi-byte sequence, so the checks can look at bytes.
function checkCharacters(bytes: Uint8Array): string {
  try {
    utf8Decoder.decode(bytes);
  } catch {
    return 'is not valid UTF-8';
  }
  for (const c of bytes) {
    if (c < 0x20 || c === 0x7f) return 'contains a control character';
    if (c === 0x5c) return 'contains a backslash';
  }
  return '';
}

function checkPath(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'is empty';
  if (bytes.length > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  const why = checkCharacters(bytes);
  if (why) return why;
  for (const part of utf8Decoder.decode(bytes).split('/')) {
    if (part === '') return 'has an empty component';
    if (part === '.' || part === '..') return "has a '.' or '..' component";
  }
  return '';
}

function checkName(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'is empty';
  if (bytes.length > MAX_NAME_BYTES) return `is longer than ${MAX_NAME_BYTES} bytes`;
  if (bytes.includes(0x2f)) return "contains '/'";
  // A client saves a multi-file share into a folder of this name: it must not be its parent.
  if (isDots(bytes)) return "is '.' or '..'";
  return checkCharacters(bytes);
}

function isDots(bytes: Uint8Array): boolean {
  return (bytes.length === 1 || bytes.length === 2) && bytes.every((b) => b === 0x2e);
}

// --- decoding ---

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  // The next n bytes (a view), or null when fewer remain.
  take(n: number): Uint8Array | null {
    if (this.bytes.length - this.pos < n) return null;
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u16(): number | null {
    if (this.bytes.length - this.pos < 2) return null;
    const v = this.view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number | null {
    if (this.bytes.length - this.pos < 4) return null;
    const v = this.view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  // A u64 as a number, or Infinity when it is above 2^53 - 1 (so it fails the size check, and
  // no precision is silently lost).
  u64(): number | null {
    if (this.bytes.length - this.pos < 8) return null;
    const high = this.view.getUint32(this.pos);
    const low = this.view.getUint32(this.pos + 4);
    this.pos += 8;
    return high > 0x1fffff ? Infinity : high * 2 ** 32 + low;
  }

  atEnd(): boolean {
    return this.pos === this.bytes.length;
  }
}

// Parses metadata and enforces every rule of §1.1–1.3; throws MetadataError (metadata_too_large
// over 2 MiB, bad_metadata for anything else).
export function decodeMetadata(input: Uint8Array | ArrayBuffer): ShareMetadata {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length > MAX_METADATA_BYTES)
    throw new MetadataError('metadata_too_large', `metadata is larger than ${MAX_METADATA_BYTES} bytes`);
  const r = new Reader(bytes);

  const magic = r.take(4);
  if (magic === null || MAGIC.some((b, i) => magic[i] !== b)) throw bad('does not start with PSH1');
  const pieceSize = r.u32();
  if (pieceSize === null) throw bad('truncated piece size');

  const nameLength = r.u16();
  const nameBytes = nameLength === null ? null : r.take(nameLength);
  if (nameBytes === null) throw bad('truncated name');
  const nameWhy = checkName(nameBytes);
  if (nameWhy) throw bad(`share name ${nameWhy}`);
  const name = utf8Decoder.decode(nameBytes);

  const fileCount = r.u32();
  if (fileCount === null) throw bad('truncated file count');
  if (fileCount === 0) throw bad('no files');
  if (fileCount > MAX_FILES) throw bad(`more than ${MAX_FILES} files`);
  const files: FileEntry[] = [];
  const fileOffsets: number[] = [];
  const paths = new Set<string>();
  let total = 0;
  for (let i = 0; i < fileCount; i++) {
    const pathLength = r.u16();
    const pathBytes = pathLength === null ? null : r.take(pathLength);
    const size = pathBytes === null ? null : r.u64();
    if (pathBytes === null || size === null) throw bad('truncated file table');
    const pathWhy = checkPath(pathBytes);
    if (pathWhy) throw bad(`file path ${pathWhy}`);
    const path = utf8Decoder.decode(pathBytes);
    if (size > MAX_FILE_SIZE) throw bad('file larger than 2^53 - 1 bytes');
    if (paths.has(path)) throw bad('two files have the same path');
    paths.add(path);
    fileOffsets.push(total);
    total += size;
    if (total > MAX_TOTAL_SIZE) throw bad('share larger than 512 GiB');
    files.push({ path, size });
  }
  checkNoDirectoryConflict(paths);

  if (pieceSize !== pieceSizeFor(total)) throw bad('piece size does not follow the piece size rule');
  const pieceCount = r.u32();
  if (pieceCount === null) throw bad('truncated piece count');
  if (pieceCount !== pieceCountFor(total, pieceSize)) throw bad('piece count does not match the total size');
  const hashBytes = r.take(pieceCount * HASH_BYTES);
  if (hashBytes === null) throw bad('truncated piece hashes');
  if (!r.atEnd()) throw bad('trailing bytes after the piece hashes');

  // One copy of the hash list, so the result does not alias the caller's buffer.
  const hashes = hashBytes.slice();
  const pieceHashes: Uint8Array[] = [];
  for (let i = 0; i < pieceCount; i++) pieceHashes.push(hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES));

  return { name, pieceSize, files, pieceHashes, totalSize: total, pieceCount, fileOffsets };
}

// No path may be a directory of another: every proper prefix ending before a '/' must not be a file.
function checkNoDirectoryConflict(paths: ReadonlySet<string>): void {
  for (const path of paths)
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1))
      if (paths.has(path.slice(0, slash))) throw bad('a file path is also used as a directory');
}

// --- encoding ---

// UTF-8 bytes of `text`; throws when the string holds a lone surrogate, which TextEncoder would
// silently replace (the metadata would then name a different file than the caller meant).
function utf8Exactly(text: string, what: string): Uint8Array {
  const bytes = utf8Encoder.encode(text);
  if (utf8Decoder.decode(bytes) !== text) throw bad(`${what} is not valid Unicode`);
  return bytes;
}

class Writer {
  private pos = 0;
  private readonly out: Uint8Array;
  private readonly view: DataView;

  constructor(length: number) {
    this.out = new Uint8Array(length);
    this.view = new DataView(this.out.buffer);
  }

  bytes(b: ArrayLike<number>): void {
    this.out.set(b, this.pos);
    this.pos += b.length;
  }

  u16(v: number): void {
    this.view.setUint16(this.pos, v);
    this.pos += 2;
  }

  u32(v: number): void {
    this.view.setUint32(this.pos, v);
    this.pos += 4;
  }

  // v ≤ 2^53 - 1, so the high word and the low word are both exact.
  u64(v: number): void {
    this.u32(Math.floor(v / 2 ** 32));
    this.u32(v % 2 ** 32);
  }

  done(): Uint8Array {
    if (this.pos !== this.out.length) throw new Error(`metadata writer wrote ${this.pos} of ${this.out.length} bytes`);
    return this.out;
  }
}

// Writes the canonical metadata of a share; the piece size comes from the rule. The inputs must
// obey the same rules the parser enforces (the output is parsed back as the final check);
// throws MetadataError otherwise.
export function encodeMetadata(share: ShareInput): Uint8Array {
  // First what the writer itself needs: lengths that fit their fields, exact sizes, whole hashes.
  const nameBytes = utf8Exactly(share.name, 'share name');
  if (nameBytes.length > MAX_NAME_BYTES) throw bad(`share name is longer than ${MAX_NAME_BYTES} bytes`);
  if (share.files.length > MAX_FILES) throw bad(`more than ${MAX_FILES} files`);
  let total = 0;
  let length = 4 + 4 + 2 + nameBytes.length + 4;
  const pathBytes = share.files.map((f) => {
    const bytes = utf8Exactly(f.path, 'file path');
    if (bytes.length > MAX_PATH_BYTES) throw bad(`file path is longer than ${MAX_PATH_BYTES} bytes`);
    if (!Number.isSafeInteger(f.size) || f.size < 0) throw bad(`file size ${f.size} is not a whole number ≤ 2^53 - 1`);
    total += f.size;
    length += 2 + bytes.length + 8;
    return bytes;
  });
  const pieceSize = pieceSizeFor(Math.min(total, Number.MAX_SAFE_INTEGER));
  for (const h of share.pieceHashes) if (h.length !== HASH_BYTES) throw bad('a piece hash is not 32 bytes');
  length += 4 + share.pieceHashes.length * HASH_BYTES;
  if (length > MAX_METADATA_BYTES)
    throw new MetadataError('metadata_too_large', `metadata would be larger than ${MAX_METADATA_BYTES} bytes`);

  const w = new Writer(length);
  w.bytes(MAGIC);
  w.u32(pieceSize);
  w.u16(nameBytes.length);
  w.bytes(nameBytes);
  w.u32(share.files.length);
  share.files.forEach((f, i) => {
    w.u16(pathBytes[i]!.length);
    w.bytes(pathBytes[i]!);
    w.u64(f.size);
  });
  w.u32(share.pieceHashes.length);
  for (const h of share.pieceHashes) w.bytes(h);
  const out = w.done();

  // Every remaining rule (characters, components, duplicates, counts) is the parser's: one set of
  // rules, so nothing this writes can be refused by a peer or the server.
  decodeMetadata(out);
  return out;
}

// --- the share id ---

// SHA-256 of `bytes`.
export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  // WebCrypto's BufferSource excludes views of a SharedArrayBuffer; ours never are.
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
}

// The share id: lowercase hex SHA-256 of the metadata bytes.
export async function resourceIdOf(bytes: Uint8Array): Promise<ShareId> {
  return shareId(toHex(await sha256(bytes)));
}

// Checks that `bytes` hash to `id` (metadata_mismatch otherwise) and parses them. Oversized
// metadata is refused before it is hashed.
export async function verifyMetadata(bytes: Uint8Array, id: ShareId): Promise<ShareMetadata> {
  if (bytes.length > MAX_METADATA_BYTES)
    throw new MetadataError('metadata_too_large', `metadata is larger than ${MAX_METADATA_BYTES} bytes`);
  const actual = await resourceIdOf(bytes);
  if (actual !== id) throw new MetadataError('metadata_mismatch', `metadata hashes to ${actual}, not ${id}`);
  return decodeMetadata(bytes);
}

// Whether `data` is piece `index` of the share (its length and its SHA-256).
export async function verifyPiece(meta: ShareMetadata, index: PieceIndex, data: Uint8Array): Promise<boolean> {
  if (data.length !== pieceLength(meta, index)) return false;
  const digest = await sha256(data);
  const expected = meta.pieceHashes[index]!;
  return digest.every((b, i) => b === expected[i]);
}

// --- pieces and files ---

function checkPiece(meta: ShareMetadata, index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= meta.pieceCount)
    throw new RangeError(`piece ${index} outside a share of ${meta.pieceCount} pieces`);
}

// Where piece `index` starts in the concatenation of all files.
export function pieceOffset(meta: ShareMetadata, index: PieceIndex): number {
  checkPiece(meta, index);
  return index * meta.pieceSize;
}

// Bytes in piece `index`: pieceSize, except the last piece, which may be short.
export function pieceLength(meta: ShareMetadata, index: PieceIndex): number {
  checkPiece(meta, index);
  return Math.min(meta.pieceSize, meta.totalSize - index * meta.pieceSize);
}

// The parts of the files that the byte range [offset, offset + length) of the share covers, in
// order; empty files cover nothing and never appear.
export function fileSpans(meta: ShareMetadata, offset: number, length: number): FileSpan[] {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 ||
      offset + length > meta.totalSize)
    throw new RangeError(`range ${offset}+${length} outside a share of ${meta.totalSize} bytes`);
  const spans: FileSpan[] = [];
  if (length === 0) return spans;
  // The last file starting at or before `offset`: a non-empty file containing it, since an empty
  // file starts where the next one does.
  let lo = 0;
  let hi = meta.files.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (meta.fileOffsets[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  let position = offset;
  let remaining = length;
  for (let i = lo; remaining > 0; i++) {
    const fileOffset = position - meta.fileOffsets[i]!;
    const take = Math.min(meta.files[i]!.size - fileOffset, remaining);
    if (take > 0) {
      spans.push({ fileIndex: i, fileOffset, length: take });
      position += take;
      remaining -= take;
    }
  }
  return spans;
}

// --- hex ---

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

// Reads hex digits (either case); throws RangeError on an odd length or a non-hex character.
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
