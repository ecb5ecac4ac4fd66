// Owns the file handles of shares picked from disk where the browser offers them (the File System
// Access API: showOpenFilePicker, or a drop's getAsFileSystemHandle). They are kept in IndexedDB per
// share, so after a reload the share is read again from the same files: at once when the browser
// still grants reading them, else after one click (its permission prompt), instead of the person
// finding and picking the files again. Where the browser offers no handles, nothing is stored and a
// share is shared again by picking its files (recognised by their hashes).

// What the app needs of a FileSystemFileHandle; the permission methods are absent in some browsers
// (then reading is allowed as long as the handle exists).
export interface ReadableHandle {
  readonly kind: string;
  readonly name: string;
  getFile(): Promise<File>;
  queryPermission?(descriptor: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(descriptor: { mode: 'read' }): Promise<PermissionState>;
}

// The files behind stored handles, or why they cannot be read now:
//   prompt  - the browser needs the person's permission (ask again from a click);
//   denied  - the person refused it;
//   missing - a file was moved, deleted or cannot be read.
export type BlockedReason = 'prompt' | 'denied' | 'missing';
export type HandleFiles = { files: File[] } | { blocked: BlockedReason };

// Reads the files behind `handles`, in order. With `ask`, a handle whose permission is "prompt" asks
// for it (only allowed while handling a click); without, it reports `prompt`.
export async function filesFromHandles(handles: readonly ReadableHandle[], { ask }: { ask: boolean }): Promise<HandleFiles> {
  for (const handle of handles) {
    let state: PermissionState;
    try {
      state = (await handle.queryPermission?.({ mode: 'read' })) ?? 'granted';
      if (state === 'prompt' && ask && handle.requestPermission) state = await handle.requestPermission({ mode: 'read' });
    } catch {
      // The browser would not ask now (e.g. no user activation left): a later click may.
      state = 'prompt';
    }
    if (state !== 'granted') return { blocked: state === 'denied' ? 'denied' : 'prompt' };
  }
  try {
    return { files: await Promise.all(handles.map((h) => h.getFile())) };
  } catch {
    return { blocked: 'missing' };
  }
}

// --- IndexedDB: database "peershare", store "file-handles", key = share id, value = handles ---

const DB_NAME = 'peershare';
const DB_VERSION = 1;
const STORE = 'file-handles';

let dbPromise: Promise<IDBDatabase> | null = null;

function db(): Promise<IDBDatabase> {
  dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('cannot open IndexedDB'));
  });
  dbPromise.catch(() => (dbPromise = null));
  return dbPromise;
}

async function run<T>(mode: IDBTransactionMode, body: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const tx = (await db()).transaction(STORE, mode);
  const request = body(tx.objectStore(STORE));
  return new Promise<T>((resolve, reject) => {
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error ?? request.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export async function saveHandles(resource: string, handles: readonly ReadableHandle[]): Promise<void> {
  await run('readwrite', (s) => s.put([...handles], resource));
}

export async function loadHandles(resource: string): Promise<ReadableHandle[] | null> {
  try {
    const value = await run<unknown>('readonly', (s) => s.get(resource));
    return Array.isArray(value) && value.length > 0 ? (value as ReadableHandle[]) : null;
  } catch {
    return null;
  }
}

export async function removeHandles(resource: string): Promise<void> {
  await run('readwrite', (s) => s.delete(resource)).catch(() => undefined);
}

// Ids of every share with stored handles.
export async function listHandles(): Promise<string[]> {
  try {
    return (await run<IDBValidKey[]>('readonly', (s) => s.getAllKeys())).map(String);
  } catch {
    return [];
  }
}
