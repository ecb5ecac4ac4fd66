// The page's backends of the share library (share-library.ts): the index in localStorage, each
// share's metadata in OPFS (metadata can reach 2 MiB, too much for localStorage), file handles in
// IndexedDB (file-handles.ts), piece data in the piece storage, and the browser's Web Locks where
// it has them.
import type { ShareId } from '../engine/ids';
import type { PieceStorage } from '../storage/piece-store';
import { listHandles, loadHandles, removeHandles, saveHandles } from './file-handles';
import type { KeyedStore, LibraryBackends, LockManagerLike } from './share-library';

// The index's key; the records' format is unchanged since the first version.
export const INDEX_KEY = 'peershare.library.v1';
const META_DIR = 'metadata';

async function metaDir(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(META_DIR, { create: true });
}

export const opfsMetadata: KeyedStore<Uint8Array> = {
  async save(resource: ShareId, bytes: Uint8Array): Promise<void> {
    const dir = await metaDir();
    const handle = await dir.getFileHandle(resource, { create: true });
    const writable = await handle.createWritable();
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
  },

  async load(resource: ShareId): Promise<Uint8Array | null> {
    try {
      const dir = await metaDir();
      const handle = await dir.getFileHandle(resource);
      return new Uint8Array(await (await handle.getFile()).arrayBuffer());
    } catch {
      return null;
    }
  },

  // Ids of every share with stored metadata, in no particular order.
  async list(): Promise<string[]> {
    try {
      const dir = (await metaDir()) as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };
      const ids: string[] = [];
      for await (const name of dir.keys()) ids.push(name);
      return ids;
    } catch {
      return [];
    }
  },

  async remove(resource: string): Promise<void> {
    try {
      await (await metaDir()).removeEntry(resource);
    } catch {
      // not stored
    }
  },
};

// navigator.locks, where the browser has it (not in every context: e.g. an insecure one).
function webLocks(): LockManagerLike | null {
  const locks = (navigator as { locks?: LockManager }).locks;
  if (!locks || typeof locks.request !== 'function') return null;
  return { request: <T>(name: string, run: () => Promise<T>) => locks.request(name, run) as Promise<T> };
}

export function browserLibraryBackends(pieces: PieceStorage): LibraryBackends {
  return {
    index: {
      read: () => localStorage.getItem(INDEX_KEY),
      write: (text) => localStorage.setItem(INDEX_KEY, text),
    },
    metadata: opfsMetadata,
    handles: { save: saveHandles, load: loadHandles, list: listHandles, remove: removeHandles },
    pieces,
    locks: webLocks(),
  };
}
