// Runs the storage contract under Node against MemoryStorage and FileSource, plus FileSource edge cases.
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/engine/errors';
import { FileSource } from '../../src/storage/file-source';
import { MemoryPieceStore, MemoryStorage } from '../../src/storage/memory-store';
import { pattern, runPieceStoreContract, splitIntoBlobs } from './piece-store-contract';

describe('MemoryStorage', () => {
  const storage = new MemoryStorage();
  runPieceStoreContract('memory', (shareId, totalSize) => storage.open(shareId, totalSize), {
    test: it,
    storage,
    persistent: true,
  });
});

describe('MemoryPieceStore (standalone)', () => {
  runPieceStoreContract('memory standalone', async (shareId, totalSize) => new MemoryPieceStore(shareId, totalSize), {
    test: it,
  });

  it('refuses share ids that are not safe directory names', async () => {
    const storage = new MemoryStorage();
    for (const bad of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(129)]) {
      await expect(storage.open(bad, 1)).rejects.toThrow(RangeError);
    }
    await expect(storage.open('ok', -1)).rejects.toThrow(RangeError);
    await expect(storage.open('ok', 1.5)).rejects.toThrow(RangeError);
  });
});

describe('FileSource', () => {
  runPieceStoreContract('file-source', async (shareId, _totalSize, content) => new FileSource(splitIntoBlobs(content), shareId), {
    test: it,
    readOnly: true,
  });

  it('reads across many tiny and empty files', async () => {
    const content = pattern(3000, 30);
    const sizes: number[] = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? 0 : 1));
    sizes.push(3000 - sizes.reduce((a, b) => a + b, 0));
    const source = new FileSource(splitIntoBlobs(content, sizes));
    expect(source.totalSize).toBe(3000);
    expect(await source.read(0, 3000)).toEqual(content);
    expect(await source.read(1999, 3)).toEqual(content.slice(1999, 2002));
  });

  it('handles no files and only empty files', async () => {
    expect(new FileSource([]).totalSize).toBe(0);
    expect(await new FileSource([]).read(0, 0)).toEqual(new Uint8Array(0));
    const empties = new FileSource([new Blob([]), new Blob([])]);
    expect(empties.totalSize).toBe(0);
    expect((await empties.blob()).size).toBe(0);
  });

  it('gives a single file back as the blob, and composes several', async () => {
    const one = new Blob([new Uint8Array([1, 2, 3])]);
    expect(await new FileSource([one]).blob()).toBe(one);
    const two = new FileSource([one, new Blob([new Uint8Array([4])])]);
    expect(new Uint8Array(await (await two.blob()).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3, 4]));
  });

  it('maps an unreadable file to StorageError storage_unavailable', async () => {
    const broken = new Blob([new Uint8Array(10)]);
    broken.slice = () => {
      const failing = new Blob([]);
      failing.arrayBuffer = () => Promise.reject(new DOMException('gone', 'NotReadableError'));
      return failing;
    };
    const source = new FileSource([broken]);
    const error = await source.read(0, 10).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('storage_unavailable');
  });
});
