// Covers app/share-library with in-memory backends: records of several tabs merge instead of
// overwriting each other (the Web Lock serializes read-modify-writes), removed shares stay removed,
// and the start-up sweep deletes what no record names, retrying piece data another tab still holds.
import { describe, expect, it } from 'vitest';

import { shareId, type ShareId } from '../../src/engine/ids';
import { parseIndex, SWEEP_RETRIES, SWEEP_RETRY_MS, type ShareRecord } from '../../src/app/share-library';
import { MemoryOrigin } from './memory-library';

const id = (n: number): ShareId => shareId(n.toString(16).padStart(64, '0'));
const record = (n: number, over: Partial<ShareRecord> = {}): ShareRecord => ({
  resource: id(n),
  name: `share ${n}`,
  size: n * 100,
  kind: 'download',
  state: 'active',
  addedAt: 1000 + n,
  ...over,
});
const ids = (records: readonly ShareRecord[]) => records.map((r) => r.resource).sort();

describe('ShareLibrary records', () => {
  it('lists, updates and unlists a share', async () => {
    const tab = new MemoryOrigin().tab();
    await tab.put(record(1));
    await tab.put(record(2));
    await tab.put(record(1, { state: 'paused' }));
    expect(await tab.records()).toEqual([record(2), record(1, { state: 'paused' })]);
    await tab.forget(id(2));
    expect(await tab.records()).toEqual([record(1, { state: 'paused' })]);
  });

  it("keeps another tab's records when a tab writes its own", async () => {
    const origin = new MemoryOrigin();
    const a = origin.tab();
    const b = origin.tab();
    await a.put(record(1));
    await b.put(record(2));
    await a.put(record(1, { state: 'paused' }));
    await b.forget(id(3)); // never listed: nothing else changes
    expect(ids(await a.records())).toEqual([id(1), id(2)]);
  });

  it('loses no record when two tabs write at the same moment: the lock runs one read-modify-write at a time', async () => {
    const origin = new MemoryOrigin();
    const tabs = [origin.tab(), origin.tab(), origin.tab()];
    await Promise.all(tabs.map((tab, i) => tab.put(record(i + 1))));
    expect(ids(await tabs[0]!.records())).toEqual([id(1), id(2), id(3)]);
  });

  it('without Web Locks the same writes race and lose records (why the lock is there)', async () => {
    const origin = new MemoryOrigin();
    const tabs = [origin.tab({ withLocks: false }), origin.tab({ withLocks: false })];
    await Promise.all(tabs.map((tab, i) => tab.put(record(i + 1))));
    expect((await tabs[0]!.records()).length).toBe(1);
  });

  it('works without Web Locks when only one tab writes', async () => {
    const tab = new MemoryOrigin().tab({ withLocks: false });
    await tab.put(record(1));
    await tab.put(record(2));
    expect(ids(await tab.records())).toEqual([id(1), id(2)]);
  });

  it('never lists again a share this page removed, even when a late update for it comes', async () => {
    const origin = new MemoryOrigin();
    const tab = origin.tab();
    await tab.put(record(1));
    await tab.forget(id(1));
    await tab.put(record(1, { state: 'paused' })); // e.g. a lookup that finished after the removal
    expect(await tab.records()).toEqual([]);
    // A page that starts afresh may share it again.
    await origin.tab().put(record(1));
    expect(ids(await tab.records())).toEqual([id(1)]);
  });

  it('reads past records it cannot use', () => {
    const good = record(1);
    const text = JSON.stringify([good, { ...good, resource: 'nope' }, { ...good, kind: 'other' }, null, 7]);
    expect(parseIndex(text)).toEqual([good]);
    expect(parseIndex('not json')).toEqual([]);
    expect(parseIndex('{"a":1}')).toEqual([]);
    expect(parseIndex(null)).toEqual([]);
  });
});

describe('ShareLibrary sweep', () => {
  async function stored(origin: MemoryOrigin, n: number) {
    const store = await origin.pieces.open(id(n), 10);
    await store.close();
    await origin.metadata.save(id(n), Uint8Array.of(n));
    await origin.handles.save(id(n), []);
  }
  const left = async (origin: MemoryOrigin) => ({
    pieces: (await origin.pieces.listStoredShares()).sort(),
    metadata: (await origin.metadata.list()).sort(),
    handles: (await origin.handles.list()).sort(),
  });

  it('deletes piece data, metadata and file handles that no record names, and keeps the listed ones', async () => {
    const origin = new MemoryOrigin();
    const tab = origin.tab();
    for (const n of [1, 2, 3]) await stored(origin, n);
    await tab.put(record(1));
    await tab.sweep(() => []);
    expect(await left(origin)).toEqual({ pieces: [id(1)], metadata: [id(1)], handles: [id(1)] });
  });

  it('keeps what this page holds open even when the index does not list it yet', async () => {
    const origin = new MemoryOrigin();
    await stored(origin, 4);
    await origin.tab().sweep(() => [id(4)]);
    expect((await left(origin)).metadata).toEqual([id(4)]);
  });

  it('tries piece data another tab still holds again later, up to its retries, then leaves it', async () => {
    const origin = new MemoryOrigin();
    await stored(origin, 5);
    origin.lockedPieces.add(id(5));
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args);
    try {
      await origin.tab().sweep(() => []);
      expect((await left(origin)).metadata).toEqual([]); // what could be deleted is
      for (let attempt = 1; attempt <= SWEEP_RETRIES; attempt++) {
        expect(origin.timers.length, `retry ${attempt} is scheduled`).toBe(1);
        const timer = origin.timers.shift()!;
        expect(timer.ms).toBe(SWEEP_RETRY_MS);
        timer.run();
        await new Promise((r) => setTimeout(r, 5));
      }
      expect(origin.timers).toEqual([]);
      expect((await left(origin)).pieces).toEqual([id(5)]);
      expect(warnings.length, 'the last attempt says what is left').toBe(1);
    } finally {
      console.warn = warn;
    }
  });

  it('deletes piece data on a retry once the other tab lets go of it', async () => {
    const origin = new MemoryOrigin();
    await stored(origin, 6);
    origin.lockedPieces.add(id(6));
    await origin.tab().sweep(() => []);
    origin.lockedPieces.delete(id(6));
    origin.timers.shift()!.run();
    await new Promise((r) => setTimeout(r, 5));
    expect((await left(origin)).pieces).toEqual([]);
    expect(origin.timers).toEqual([]);
  });

  it("never deletes a share another tab lists while the sweep runs: listing and sweeping take turns", async () => {
    const origin = new MemoryOrigin();
    const sweeper = origin.tab();
    const writer = origin.tab();
    // The writer lists a share, then stores its metadata, while the sweeper sweeps.
    const writing = (async () => {
      await writer.put(record(7));
      await writer.saveMetadata(id(7), Uint8Array.of(7));
    })();
    await Promise.all([sweeper.sweep(() => []), writing]);
    expect((await left(origin)).metadata).toEqual([id(7)]);
  });
});
