// Owns the browser side of the storage tests: runs the contract against OPFS and FileSource and exposes
// probes (hashing, persistence, locking, throughput) on window.storageTests for storage.browser.test.mjs.
import { StorageError } from '../../../src/engine/errors';
import { FileSource } from '../../../src/storage/file-source';
import { hashFiles } from '../../../src/storage/hashing';
import { OpfsStorage, opfsStorage } from '../../../src/storage/opfs-store';
import type { PieceStore } from '../../../src/storage/piece-store';
import { pattern, runPieceStoreContract, splitIntoBlobs } from '../piece-store-contract';

interface TestResult {
  name: string;
  ok: boolean;
  error?: string;
  ms: number;
}

interface Registered {
  name: string;
  fn: () => Promise<void>;
}

const registered: Registered[] = [];
const collect = (name: string, fn: () => Promise<void>): void => {
  registered.push({ name, fn });
};

const storage = opfsStorage();
runPieceStoreContract('opfs', (shareId, totalSize) => storage.open(shareId, totalSize), {
  test: collect,
  storage,
  persistent: true,
  idPrefix: 'contract',
});
runPieceStoreContract(
  'file-source',
  async (shareId, _totalSize, content) => new FileSource(splitIntoBlobs(content), shareId),
  { test: collect, readOnly: true },
);

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

function describe(error: unknown): string {
  if (error instanceof StorageError) return `StorageError(${error.code}): ${error.message}`;
  if (error instanceof Error || error instanceof DOMException) return `${error.name}: ${error.message}`;
  return String(error);
}

function pickedFiles(): File[] {
  const input = document.getElementById('files') as HTMLInputElement;
  return Array.from(input.files ?? []);
}

const api = {
  listContract(): string[] {
    return registered.map((t) => t.name);
  },

  async runContract(filter?: string): Promise<TestResult[]> {
    const results: TestResult[] = [];
    for (const { name, fn } of registered) {
      if (filter && !name.includes(filter)) continue;
      const started = performance.now();
      try {
        await fn();
        results.push({ name, ok: true, ms: performance.now() - started });
      } catch (error) {
        results.push({ name, ok: false, error: describe(error), ms: performance.now() - started });
      }
    }
    return results;
  },

  async hashPicked(pieceSize: number): Promise<{ hashes: string[]; progress: Array<[number, number]>; ms: number }> {
    const progress: Array<[number, number]> = [];
    const started = performance.now();
    const hashes = await hashFiles(pickedFiles(), pieceSize, (done, total) => progress.push([done, total]));
    return { hashes: hashes.map(hex), progress, ms: performance.now() - started };
  },

  // Aborts hashing of the picked files after `afterMs` (or before it starts when afterMs < 0).
  async hashAbort(pieceSize: number, afterMs: number): Promise<{ error: string; name: string; progressCalls: number; ms: number }> {
    const controller = new AbortController();
    let progressCalls = 0;
    if (afterMs < 0) controller.abort();
    else setTimeout(() => controller.abort(), afterMs);
    const started = performance.now();
    try {
      await hashFiles(pickedFiles(), pieceSize, () => progressCalls++, controller.signal);
      return { error: 'resolved', name: '', progressCalls, ms: performance.now() - started };
    } catch (error) {
      const name = error instanceof Error || error instanceof DOMException ? error.name : '';
      return { error: describe(error), name, progressCalls, ms: performance.now() - started };
    }
  },

  // SHA-256 of each range read through a FileSource over the picked (disk-backed) files.
  async readPicked(ranges: Array<[number, number]>): Promise<{ totalSize: number; digests: string[] }> {
    const source = new FileSource(pickedFiles());
    const digests: string[] = [];
    for (const [offset, length] of ranges) digests.push(await sha256(await source.read(offset, length)));
    return { totalSize: source.totalSize, digests };
  },

  // Writes the pieces listed (pattern bytes seeded by piece index) and saves `have`; leaves the share open
  // unless `close`. Returns the SHA-256 of the whole share as read back.
  async persistWrite(shareId: string, totalSize: number, pieceSize: number, pieces: number[], have: number[], close: boolean): Promise<string> {
    const store = await storage.open(shareId, totalSize);
    for (const piece of pieces) {
      const at = piece * pieceSize;
      await store.write(at, pattern(Math.min(pieceSize, totalSize - at), piece + 1));
    }
    await store.saveHave(new Uint8Array(have));
    const digest = await sha256(await store.read(0, totalSize));
    if (close) await store.close();
    return digest;
  },

  async persistCheck(shareId: string, totalSize: number, pieceSize: number, pieces: number[]): Promise<{
    listed: boolean;
    have: number[] | null;
    digest: string;
    blobDigest: string;
    mismatches: string[];
  }> {
    const listed = (await storage.listStoredShares()).includes(shareId);
    const store = await storage.open(shareId, totalSize);
    const mismatches: string[] = [];
    for (const piece of pieces) {
      const at = piece * pieceSize;
      const expected = pattern(Math.min(pieceSize, totalSize - at), piece + 1);
      const got = await store.read(at, expected.length);
      if ((await sha256(got)) !== (await sha256(expected))) mismatches.push(`piece ${piece}`);
    }
    const have = await store.loadHave();
    const digest = await sha256(await store.read(0, totalSize));
    const blobDigest = await sha256(new Uint8Array(await (await store.blob()).arrayBuffer()));
    await store.close();
    return { listed, have: have ? Array.from(have) : null, digest, blobDigest, mismatches };
  },

  async open(shareId: string, totalSize: number): Promise<string> {
    try {
      const store = await storage.open(shareId, totalSize);
      openStores.set(shareId, store);
      return 'ok';
    } catch (error) {
      return describe(error);
    }
  },

  async listStored(): Promise<string[]> {
    return storage.listStoredShares();
  },

  async close(shareId: string): Promise<void> {
    await openStores.get(shareId)?.close();
    openStores.delete(shareId);
  },

  async remove(shareId: string): Promise<string> {
    try {
      await storage.removeStoredShare(shareId);
      return 'ok';
    } catch (error) {
      return describe(error);
    }
  },

  // Stops the storage worker without closing anything (as a crashed tab would) and opens the share again
  // from a fresh worker.
  async crashAndReopen(shareId: string, totalSize: number): Promise<{ have: number[] | null; error?: string }> {
    storage.terminate();
    const fresh = new OpfsStorage();
    try {
      const store = await fresh.open(shareId, totalSize);
      const have = await store.loadHave();
      await store.close();
      return { have: have ? Array.from(have) : null };
    } catch (error) {
      return { have: null, error: describe(error) };
    } finally {
      fresh.terminate();
    }
  },

  // Saves three bitfields, then damages the have file's newest slot (and later both) from the main thread
  // while the share is closed; loadHave must fall back to the previous bitfield, then to null.
  async haveFallback(shareId: string): Promise<{ afterOne: number[] | null; afterBoth: number[] | null; afterSave: number[] | null }> {
    let store = await storage.open(shareId, 100);
    for (const bits of [[1, 1, 1, 1, 1], [2, 2, 2, 2, 2], [3, 3, 3, 3, 3]]) await store.saveHave(new Uint8Array(bits));
    await store.close();
    const root = await navigator.storage.getDirectory();
    const haveFile = await (await (await root.getDirectoryHandle('shares')).getDirectoryHandle(shareId)).getFileHandle('have');
    const damage = async (slot: number): Promise<void> => {
      const size = (await haveFile.getFile()).size;
      const writable = await haveFile.createWritable({ keepExistingData: true });
      await writable.write({ type: 'write', position: (slot + 1) * (size / 2) - 1, data: new Uint8Array([0xee]) });
      await writable.close();
    };
    const newestSlot = async (): Promise<number> => {
      const bytes = new DataView(await (await haveFile.getFile()).arrayBuffer());
      const stride = bytes.byteLength / 2;
      return bytes.getUint32(4) > bytes.getUint32(stride + 4) ? 0 : 1;
    };
    const load = async (): Promise<number[] | null> => {
      store = await storage.open(shareId, 100);
      const have = await store.loadHave();
      await store.close();
      return have ? Array.from(have) : null;
    };
    const newest = await newestSlot();
    await damage(newest);
    const afterOne = await load();
    await damage(1 - newest);
    const afterBoth = await load();
    store = await storage.open(shareId, 100);
    await store.saveHave(new Uint8Array([4, 4, 4, 4, 4]));
    await store.close();
    const afterSave = await load();
    await storage.removeStoredShare(shareId);
    return { afterOne, afterBoth, afterSave };
  },

  // Writes `mib` MiB in pieces of `pieceSize`, reads it all back (through read() and through
  // blob() slices), and times both; the share is removed. Every piece differs (its index in its
  // first bytes), and the SHA-256 of each piece written and of each piece read back is taken
  // outside the timed parts: the digests over all of them say whether the bytes came back.
  async throughput(mib: number, pieceSize: number): Promise<{
    writeMBps: number;
    readMBps: number;
    blobReadMBps: number;
    pieces: number;
    bytesRead: number;
    bytesReadFromBlob: number;
    writtenDigest: string;
    readDigest: string;
    blobDigest: string;
  }> {
    const totalSize = mib * 1024 * 1024;
    const shareId = `bench-${Date.now()}`;
    const store = await storage.open(shareId, totalSize);
    const seed = pattern(pieceSize, 99);
    const pieceAt = (at: number): Uint8Array<ArrayBuffer> => {
      const piece = seed.slice(0, Math.min(pieceSize, totalSize - at));
      new DataView(piece.buffer).setUint32(0, at / pieceSize);
      return piece;
    };
    const offsets: number[] = [];
    for (let at = 0; at < totalSize; at += pieceSize) offsets.push(at);
    const digestOf = async (digests: Uint8Array[]): Promise<string> => {
      const all = new Uint8Array(digests.length * 32);
      digests.forEach((d, i) => all.set(d, i * 32));
      return sha256(all);
    };
    const pieceDigest = async (bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> =>
      new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const written: Uint8Array[] = [];
    for (const at of offsets) written.push(await pieceDigest(pieceAt(at)));

    let started = performance.now();
    // Keep a few writes in flight, as the swarm would with several peers delivering pieces.
    const inFlight = new Set<Promise<void>>();
    for (const at of offsets) {
      const write = store.write(at, pieceAt(at));
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
      if (inFlight.size >= 4) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await store.saveHave(new Uint8Array(1)); // flushes the data: the writes are on disk
    const writeMs = performance.now() - started;

    let readMs = 0;
    let bytesRead = 0;
    const read: Uint8Array[] = [];
    for (const at of offsets) {
      started = performance.now();
      const bytes = await store.read(at, Math.min(pieceSize, totalSize - at));
      readMs += performance.now() - started;
      bytesRead += bytes.length;
      read.push(await pieceDigest(bytes));
    }
    const blob = await store.blob();
    let blobMs = 0;
    let bytesReadFromBlob = 0;
    const fromBlob: Uint8Array[] = [];
    for (const at of offsets) {
      started = performance.now();
      const bytes = new Uint8Array(await blob.slice(at, at + pieceSize).arrayBuffer());
      blobMs += performance.now() - started;
      bytesReadFromBlob += bytes.length;
      fromBlob.push(await pieceDigest(bytes));
    }
    await store.destroy();
    const rate = (ms: number) => Math.round((totalSize / 1e6 / (ms / 1000)) * 10) / 10;
    return {
      writeMBps: rate(writeMs),
      readMBps: rate(readMs),
      blobReadMBps: rate(blobMs),
      pieces: offsets.length,
      bytesRead,
      bytesReadFromBlob,
      writtenDigest: await digestOf(written),
      readDigest: await digestOf(read),
      blobDigest: await digestOf(fromBlob),
    };
  },
};

const openStores = new Map<string, PieceStore>();

declare global {
  interface Window {
    storageTests: typeof api;
  }
}

window.storageTests = api;
document.getElementById('state')!.textContent = 'ready';
