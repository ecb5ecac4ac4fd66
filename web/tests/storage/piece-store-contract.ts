// Owns the storage contract suite: the behaviour every PieceStore (and, read-only, every PieceReader) must show.
//
// Framework-free: tests are registered through hooks.test, which is vitest's `it` under Node
// (memory-store.test.ts) and a small collector in the browser page (browser/main.ts), so the OPFS store
// and the file-source reader run the very same checks in real Chromium.
import { StorageError } from '../../src/engine/errors';
import type { PieceReader, PieceStorage, PieceStore } from '../../src/storage/piece-store';

export interface ContractHooks {
  // Registers one test: vitest's `it`, or the browser page's collector.
  test: (name: string, fn: () => Promise<void>) => void;
  // false (default): the factory opens an empty PieceStore and the suite writes what it reads.
  // true: the factory returns a reader that already holds `content`; only read checks run.
  readOnly?: boolean;
  // The storage behind the factory, for list/remove checks.
  storage?: Pick<PieceStorage, 'listStoredShares' | 'removeStoredShare'>;
  // Closing and re-opening a share keeps its bytes and bitfield (MemoryStorage, OPFS).
  persistent?: boolean;
  // Prefix for share ids, so runs against a persistent storage never collide.
  idPrefix?: string;
}

// Opens a store for (shareId, totalSize); in read-only mode returns a reader over `content` instead.
export type ContractFactory = (
  shareId: string,
  totalSize: number,
  content: Uint8Array,
) => Promise<PieceReader | PieceStore>;

export const PIECE = 64 * 1024;
export const TOTAL = 5 * PIECE + 1234; // the last piece is short

// Deterministic bytes (xorshift32), different for each seed.
export function pattern(size: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

// File sizes summing to `total`: empty files, a one-byte file, files that end mid-piece and one that
// spans several pieces; a reader factory uses this layout to split `content` into files.
export function fileLayout(total: number): number[] {
  const fixed = [0, 1, 1000, 0, PIECE - 1001, 2 * PIECE + 17, 0, 5];
  const sizes: number[] = [];
  let left = total;
  for (const size of fixed) {
    const take = Math.min(size, left);
    sizes.push(take);
    left -= take;
  }
  sizes.push(left, 0);
  return sizes;
}

export function splitIntoBlobs(content: Uint8Array, sizes = fileLayout(content.length)): Blob[] {
  const blobs: Blob[] = [];
  let at = 0;
  sizes.forEach((size, i) => {
    blobs.push(new File([content.slice(at, at + size)], `file-${i}.bin`));
    at += size;
  });
  return blobs;
}

export class AssertionError extends Error {
  override name = 'AssertionError';
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert(actual instanceof Uint8Array, `${what}: expected a Uint8Array, got ${String(actual)}`);
  assert(actual.length === expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== expected[i]) {
      throw new AssertionError(`${what}: byte ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

async function assertRejects(
  promise: Promise<unknown>,
  check: (error: unknown) => boolean,
  what: string,
): Promise<void> {
  let settled = false;
  try {
    await promise;
    settled = true;
  } catch (error) {
    assert(check(error), `${what}: rejected with the wrong error: ${String(error)}`);
  }
  assert(!settled, `${what}: resolved, expected a rejection`);
}

const isRangeError = (error: unknown): boolean => error instanceof RangeError;
const isStorageError =
  (code: string) =>
  (error: unknown): boolean =>
    error instanceof StorageError && error.code === code;

async function blobBytes(blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.arrayBuffer());
}

export function runPieceStoreContract(name: string, factory: ContractFactory, hooks: ContractHooks): void {
  const readOnly = hooks.readOnly ?? false;
  const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  let counter = 0;
  const newId = (): string => `${hooks.idPrefix ?? 'contract'}-${run}-${counter++}`;
  const test = (title: string, fn: () => Promise<void>): void => hooks.test(`${name}: ${title}`, fn);
  const writeTest = (title: string, fn: () => Promise<void>): void => {
    if (!readOnly) test(title, fn);
  };

  const openStore = async (shareId: string, totalSize: number): Promise<PieceStore> => {
    const store = await factory(shareId, totalSize, new Uint8Array(0));
    assert('write' in store, 'the factory returned a reader, but the suite runs in read-write mode');
    return store;
  };

  // A reader or store holding `content`: read-only factories get it, stores get it written piece by piece.
  const withContent = async <T>(content: Uint8Array, body: (reader: PieceReader) => Promise<T>): Promise<T> => {
    const shareId = newId();
    if (readOnly) {
      const reader = await factory(shareId, content.length, content);
      try {
        return await body(reader);
      } finally {
        await reader.close();
      }
    }
    const store = await openStore(shareId, content.length);
    try {
      for (let at = 0; at < content.length; at += PIECE) {
        await store.write(at, content.slice(at, Math.min(at + PIECE, content.length)));
      }
      return await body(store);
    } finally {
      await store.destroy();
    }
  };

  const withStore = async <T>(totalSize: number, body: (store: PieceStore, shareId: string) => Promise<T>): Promise<T> => {
    const shareId = newId();
    const store = await openStore(shareId, totalSize);
    try {
      return await body(store, shareId);
    } finally {
      await store.destroy();
    }
  };

  test('exposes totalSize (and shareId for stores)', async () => {
    const content = pattern(TOTAL, 2);
    await withContent(content, async (reader) => {
      assert(reader.totalSize === TOTAL, `totalSize is ${reader.totalSize}, expected ${TOTAL}`);
      if (!readOnly) {
        const id = (reader as PieceStore).shareId;
        assert(typeof id === 'string' && id.length > 0, `shareId is ${String(id)}`);
      }
    });
  });

  test('reads whole pieces, the short last piece and the whole share', async () => {
    const content = pattern(TOTAL, 3);
    await withContent(content, async (reader) => {
      for (let at = 0; at < TOTAL; at += PIECE) {
        const end = Math.min(at + PIECE, TOTAL);
        assertBytes(await reader.read(at, end - at), content.subarray(at, end), `piece at ${at}`);
      }
      assertBytes(await reader.read(0, TOTAL), content, 'whole share');
    });
  });

  test('reads ranges spanning pieces and files, single bytes and empty ranges', async () => {
    const content = pattern(TOTAL, 4);
    await withContent(content, async (reader) => {
      const ranges: Array<[number, number]> = [
        [0, 1],
        [1, 1],
        [1, 1000],
        [1000, 2],
        [PIECE - 10, 20],
        [PIECE - 1, 2 * PIECE + 100],
        [3 * PIECE + 16, 3],
        [TOTAL - 1, 1],
        [TOTAL - 5000, 5000],
        [12345, 0],
        [TOTAL, 0],
        [0, 0],
      ];
      for (const [offset, length] of ranges) {
        const bytes = await reader.read(offset, length);
        assertBytes(bytes, content.subarray(offset, offset + length), `read(${offset}, ${length})`);
      }
    });
  });

  test('read returns a fresh buffer the caller owns', async () => {
    const content = pattern(TOTAL, 5);
    await withContent(content, async (reader) => {
      const first = await reader.read(100, 50);
      first.fill(0);
      assertBytes(await reader.read(100, 50), content.subarray(100, 150), 'read after mutating an earlier result');
    });
  });

  test('rejects ranges outside the share with RangeError', async () => {
    const content = pattern(TOTAL, 6);
    await withContent(content, async (reader) => {
      await assertRejects(reader.read(TOTAL, 1), isRangeError, 'read(totalSize, 1)');
      await assertRejects(reader.read(TOTAL - 1, 2), isRangeError, 'read past the end');
      await assertRejects(reader.read(-1, 1), isRangeError, 'negative offset');
      await assertRejects(reader.read(0, -1), isRangeError, 'negative length');
      await assertRejects(reader.read(0.5, 1), isRangeError, 'fractional offset');
      await assertRejects(reader.read(0, Number.NaN), isRangeError, 'NaN length');
    });
  });

  test('blob() holds exactly the share bytes, and reads still work afterwards', async () => {
    const content = pattern(TOTAL, 7);
    await withContent(content, async (reader) => {
      const blob = await reader.blob();
      assert(blob.size === TOTAL, `blob size ${blob.size}, expected ${TOTAL}`);
      assertBytes(await blobBytes(blob), content, 'blob bytes');
      assertBytes(await blobBytes(blob.slice(PIECE - 3, PIECE + 3)), content.subarray(PIECE - 3, PIECE + 3), 'blob slice');
      assertBytes(await reader.read(PIECE, 10), content.subarray(PIECE, PIECE + 10), 'read after blob()');
      assertBytes(await blobBytes(blob.slice(0, 10)), content.subarray(0, 10), 'blob still readable after read()');
    });
  });

  test('an empty share reads, and gives an empty blob', async () => {
    await withContent(new Uint8Array(0), async (reader) => {
      assert(reader.totalSize === 0, `totalSize ${reader.totalSize}`);
      assertBytes(await reader.read(0, 0), new Uint8Array(0), 'read(0, 0)');
      await assertRejects(reader.read(0, 1), isRangeError, 'read(0, 1) of an empty share');
      assert((await reader.blob()).size === 0, 'blob of an empty share is not empty');
    });
  });

  test('calls after close() reject with storage_unavailable', async () => {
    const content = pattern(1000, 8);
    const shareId = newId();
    const reader = readOnly ? await factory(shareId, content.length, content) : await openStore(shareId, content.length);
    await reader.close();
    await assertRejects(reader.read(0, 1), isStorageError('storage_unavailable'), 'read after close');
    await assertRejects(reader.blob(), isStorageError('storage_unavailable'), 'blob after close');
    if (!readOnly) {
      const store = reader as PieceStore;
      await assertRejects(store.write(0, new Uint8Array(1)), isStorageError('storage_unavailable'), 'write after close');
      await assertRejects(store.saveHave(new Uint8Array(1)), isStorageError('storage_unavailable'), 'saveHave after close');
      await assertRejects(store.loadHave(), isStorageError('storage_unavailable'), 'loadHave after close');
      const again = await openStore(shareId, content.length);
      await again.destroy();
    }
  });

  // ---- Writable stores ----

  writeTest('reads unwritten bytes as zeros', async () => {
    await withStore(TOTAL, async (store) => {
      assertBytes(await store.read(0, TOTAL), new Uint8Array(TOTAL), 'fresh store');
      await store.write(PIECE, pattern(PIECE, 9));
      assertBytes(await store.read(0, PIECE), new Uint8Array(PIECE), 'piece 0 after writing piece 1');
      assertBytes(await store.read(2 * PIECE, TOTAL - 2 * PIECE), new Uint8Array(TOTAL - 2 * PIECE), 'the rest');
    });
  });

  writeTest('writes pieces out of order and overwrites', async () => {
    await withStore(TOTAL, async (store) => {
      const content = pattern(TOTAL, 10);
      for (const piece of [4, 0, 5, 2, 1, 3]) {
        const at = piece * PIECE;
        await store.write(at, content.slice(at, Math.min(at + PIECE, TOTAL)));
      }
      assertBytes(await store.read(0, TOTAL), content, 'after out-of-order writes');
      const other = pattern(PIECE, 11);
      await store.write(2 * PIECE, other.slice());
      assertBytes(await store.read(2 * PIECE, PIECE), other, 'overwritten piece');
      assertBytes(await store.read(PIECE, PIECE), content.subarray(PIECE, 2 * PIECE), 'neighbour untouched');
    });
  });

  writeTest('writes exactly the bytes of a view into a larger buffer, leaving that buffer intact', async () => {
    await withStore(TOTAL, async (store) => {
      const big = pattern(3 * PIECE, 12);
      const expected = big.slice(PIECE + 7, 2 * PIECE + 7);
      await store.write(PIECE, big.subarray(PIECE + 7, 2 * PIECE + 7));
      assertBytes(await store.read(PIECE, PIECE), expected, 'written view');
      assert(big.byteLength === 3 * PIECE, 'the larger buffer was detached');
      assertBytes(big.subarray(PIECE + 7, 2 * PIECE + 7), expected, 'the larger buffer was changed');
    });
  });

  writeTest('concurrent writes all land at their offsets', async () => {
    await withStore(TOTAL, async (store) => {
      const content = pattern(TOTAL, 13);
      const writes: Promise<void>[] = [];
      for (let at = 0; at < TOTAL; at += PIECE) {
        writes.push(store.write(at, content.slice(at, Math.min(at + PIECE, TOTAL))));
      }
      await Promise.all(writes);
      assertBytes(await store.read(0, TOTAL), content, 'after concurrent writes');
    });
  });

  writeTest('rejects writes outside the share with RangeError', async () => {
    await withStore(TOTAL, async (store) => {
      await assertRejects(store.write(TOTAL - 1, new Uint8Array(2)), isRangeError, 'write past the end');
      await assertRejects(store.write(-1, new Uint8Array(1)), isRangeError, 'negative offset');
      await assertRejects(store.write(1.5, new Uint8Array(1)), isRangeError, 'fractional offset');
      await store.write(TOTAL, new Uint8Array(0));
      assertBytes(await store.read(TOTAL - 10, 10), new Uint8Array(10), 'no byte changed');
    });
  });

  writeTest('loadHave() is null until saveHave(), then the last bitfield saved, as a copy', async () => {
    await withStore(TOTAL, async (store) => {
      assert((await store.loadHave()) === null, 'loadHave of a fresh store is not null');
      const bits = new Uint8Array([0b10100000]);
      await store.saveHave(bits);
      bits[0] = 0xff;
      assertBytes((await store.loadHave())!, new Uint8Array([0b10100000]), 'saved bitfield (caller mutated it after)');
      const loaded = (await store.loadHave())!;
      loaded[0] = 0;
      assertBytes((await store.loadHave())!, new Uint8Array([0b10100000]), 'loadHave result is a copy');
      for (let i = 1; i <= 5; i++) await store.saveHave(new Uint8Array([i]));
      assertBytes((await store.loadHave())!, new Uint8Array([5]), 'after five saves');
      const longer = pattern(4096, 14);
      await store.saveHave(longer);
      assertBytes((await store.loadHave())!, longer, 'a longer bitfield');
      await store.saveHave(new Uint8Array(0));
      assertBytes((await store.loadHave())!, new Uint8Array(0), 'an empty bitfield');
    });
  });

  writeTest('blob() after further writes shows them', async () => {
    await withStore(TOTAL, async (store) => {
      await store.write(0, pattern(PIECE, 15));
      assert((await store.blob()).size === TOTAL, 'blob size');
      const next = pattern(PIECE, 16);
      await store.write(PIECE, next.slice());
      const blob = await store.blob();
      assertBytes(await blobBytes(blob.slice(PIECE, 2 * PIECE)), next, 'second blob');
      assertBytes(await store.read(0, PIECE), pattern(PIECE, 15), 'read after the second blob');
    });
  });

  writeTest('two shares are independent', async () => {
    await withStore(TOTAL, async (a) => {
      await withStore(PIECE, async (b) => {
        await a.write(0, pattern(PIECE, 17));
        await b.write(0, pattern(PIECE, 18));
        await a.saveHave(new Uint8Array([1]));
        assert((await b.loadHave()) === null, 'b sees a\'s bitfield');
        assertBytes(await a.read(0, PIECE), pattern(PIECE, 17), 'share a');
        assertBytes(await b.read(0, PIECE), pattern(PIECE, 18), 'share b');
        assert(b.totalSize === PIECE && (await b.blob()).size === PIECE, 'share b size');
      });
    });
  });

  if (!readOnly && hooks.persistent) {
    test('close() and re-open keep the bytes and the bitfield', async () => {
      const shareId = newId();
      const content = pattern(TOTAL, 19);
      const first = await openStore(shareId, TOTAL);
      await first.write(0, content.slice(0, PIECE));
      await first.write(3 * PIECE, content.slice(3 * PIECE, 4 * PIECE));
      await first.saveHave(new Uint8Array([0b10010000]));
      await first.saveHave(new Uint8Array([0b10010000, 1]));
      await first.close();
      const second = await openStore(shareId, TOTAL);
      try {
        assertBytes((await second.loadHave())!, new Uint8Array([0b10010000, 1]), 'bitfield after re-open');
        assertBytes(await second.read(0, PIECE), content.subarray(0, PIECE), 'piece 0 after re-open');
        assertBytes(await second.read(3 * PIECE, PIECE), content.subarray(3 * PIECE, 4 * PIECE), 'piece 3 after re-open');
        assertBytes(await second.read(PIECE, PIECE), new Uint8Array(PIECE), 'unwritten piece 1 after re-open');
      } finally {
        await second.destroy();
      }
    });

    test('destroy() deletes the bytes and the bitfield', async () => {
      const shareId = newId();
      const first = await openStore(shareId, TOTAL);
      await first.write(0, pattern(PIECE, 20));
      await first.saveHave(new Uint8Array([0x80]));
      await first.destroy();
      const second = await openStore(shareId, TOTAL);
      try {
        assert((await second.loadHave()) === null, 'bitfield survived destroy()');
        assertBytes(await second.read(0, PIECE), new Uint8Array(PIECE), 'bytes survived destroy()');
      } finally {
        await second.destroy();
      }
    });

    test('re-opening with another size starts the share afresh', async () => {
      const shareId = newId();
      const first = await openStore(shareId, TOTAL);
      await first.write(0, pattern(PIECE, 21));
      await first.saveHave(new Uint8Array([0x80]));
      await first.close();
      const second = await openStore(shareId, TOTAL - 1);
      try {
        assert(second.totalSize === TOTAL - 1, 'totalSize');
        assert((await second.loadHave()) === null, 'the old bitfield was kept for a different size');
        assert((await second.blob()).size === TOTAL - 1, 'data not resized');
      } finally {
        await second.destroy();
      }
    });
  }

  if (!readOnly && hooks.storage) {
    const storage = hooks.storage;
    test('listStoredShares() lists open and closed shares; removeStoredShare() deletes one', async () => {
      const open = newId();
      const closed = newId();
      const a = await openStore(open, PIECE);
      const b = await openStore(closed, PIECE);
      await b.write(0, pattern(PIECE, 22));
      await b.close();
      try {
        const listed = await storage.listStoredShares();
        assert(listed.includes(open) && listed.includes(closed), `listed ${JSON.stringify(listed)}`);
        await storage.removeStoredShare(closed);
        assert(!(await storage.listStoredShares()).includes(closed), 'removed share still listed');
        await storage.removeStoredShare(closed); // removing twice is fine
        await a.destroy();
        assert(!(await storage.listStoredShares()).includes(open), 'destroyed share still listed');
      } finally {
        await storage.removeStoredShare(open);
        await storage.removeStoredShare(closed);
      }
    });
  }
}
