// Every limit of the browser engine in one place, each with its reason. The metadata limits mirror
// docs/protocol.md §1.3 (and server/include/peershare/core/metadata.hpp); the wire and flow-control
// limits are those of §5.

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;

// --- share metadata (§1) ---

// 1 MiB of piece hashes at the largest share, plus a file table.
export const MAX_METADATA_BYTES = 2 * MiB;
// Bounds the file table a client must lay out on disk.
export const MAX_FILES = 10000;
// Longer than any path a common file system accepts.
export const MAX_PATH_BYTES = 1024;
// The share name becomes one folder name: one path component.
export const MAX_NAME_BYTES = 255;
// Keeps the hash list at most 1 MiB.
export const MAX_PIECE_COUNT = 32768;
// Smaller pieces would only mean more hashes to store and check.
export const MIN_PIECE_SIZE = 256 * KiB;
// WebCrypto hashes a whole piece in one call, so a piece must fit comfortably in memory.
export const MAX_PIECE_SIZE = 16 * MiB;
// 2^53 - 1: a JavaScript number holds every size and offset exactly.
export const MAX_FILE_SIZE = Number.MAX_SAFE_INTEGER;
// 512 GiB: the most MAX_PIECE_COUNT pieces of MAX_PIECE_SIZE can cover.
export const MAX_TOTAL_SIZE = MAX_PIECE_COUNT * MAX_PIECE_SIZE;
// A piece hash is one SHA-256 digest.
export const HASH_BYTES = 32;

// --- peer wire protocol (§5) ---

// The wire protocol version carried in `handshake`.
export const WIRE_VERSION = 1;
// Largest block in one `data` message: the largest multiple of 16 KiB that fits Chromium's
// DataChannel maxMessageSize (256 KiB) with the 9-byte header. Fewer, larger messages cost the
// browser less per byte than 64 KiB ones (measured: bench/RESULTS.md).
export const BLOCK_SIZE = 240 * KiB;
// The lowest per-peer upload cap (bytes/s): a whole block (up to BLOCK_SIZE) must reach the
// downloader well within its stall timeout (15 s), or it would drop us as stalled.
export const MIN_UPLOAD_CAP_BYTES = 64 * KiB;
// Smallest block a downloader asks for, whatever the channel: every DataChannel carries 16 KiB.
export const MIN_BLOCK_SIZE = 16 * KiB;
// Bytes of a `data` message before its payload (type, piece, offset).
export const DATA_HEADER_BYTES = 9;

// The block size a downloader requests over a channel whose maxMessageSize is `maxMessageSize`:
// the largest multiple of MIN_BLOCK_SIZE that fits one message, at most BLOCK_SIZE.
export function blockSizeFor(maxMessageSize: number): number {
  const fits = Math.floor((maxMessageSize - DATA_HEADER_BYTES) / MIN_BLOCK_SIZE) * MIN_BLOCK_SIZE;
  return Math.min(BLOCK_SIZE, Math.max(MIN_BLOCK_SIZE, fits));
}
// Outstanding requests an uploader honours from one peer; it rejects the rest, so a peer cannot
// make it queue unbounded work.
export const MAX_QUEUED_REQUESTS = 256;

// --- flow control (§5.3) ---

// Bytes requested and not yet received per peer: enough to keep a fast link busy across one
// round trip (4 MiB at 100 ms is 40 MB/s) without queueing much behind a slow one. It is 64
// blocks, well under MAX_QUEUED_REQUESTS, so an uploader never rejects us for a full queue.
export const REQUEST_WINDOW_BYTES = 4 * MiB;
// Requests are topped up only once this much of the window is free, so they leave in batches that
// share packets instead of one small packet per received block.
export const REQUEST_BATCH_BYTES = 1 * MiB;
// An uploader stops sending while the DataChannel's bufferedAmount is above this: memory stays
// bounded when the link is slower than the disk.
export const HIGH_WATER = 1 * MiB;
// bufferedAmountLowThreshold: sending resumes when the buffer drains to this, early enough that the
// link never idles.
export const LOW_WATER = 256 * KiB;

// --- download scheduling ---

// The first pieces are fetched in index order so a preview of the first file can start early.
export const IN_ORDER_FIRST_PIECES = 4;
// Connections one download opens: more sources than one browser can use well.
export const MAX_PEERS_PER_SHARE = 8;
