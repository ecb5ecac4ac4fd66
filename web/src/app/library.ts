// The list of shares this browser offers or downloads, kept across reloads: a small index in
// localStorage and each share's metadata bytes in OPFS (metadata can reach 2 MiB, too much for
// localStorage). Piece data lives in the piece stores (storage/), not here.

export type ShareKind = 'seed' | 'download';
// seed: files picked from disk (not copied into the browser); download: bytes kept in OPFS.
export type ShareRecordState = 'active' | 'paused';

export interface ShareRecord {
  resource: string;
  name: string;
  size: number;
  kind: ShareKind;
  state: ShareRecordState;
  addedAt: number;
}

const INDEX_KEY = 'peershare.library.v1';
const META_DIR = 'metadata';

export function loadRecords(): ShareRecord[] {
  try {
    const raw = localStorage.getItem(INDEX_KEY);
    if (!raw) return [];
    const parsed: unknown = JSON.parse(raw);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (r): r is ShareRecord =>
        typeof r === 'object' &&
        r !== null &&
        typeof r.resource === 'string' &&
        /^[0-9a-f]{64}$/.test(r.resource) &&
        typeof r.name === 'string' &&
        typeof r.size === 'number' &&
        (r.kind === 'seed' || r.kind === 'download') &&
        (r.state === 'active' || r.state === 'paused'),
    );
  } catch {
    return [];
  }
}

export function saveRecords(records: ShareRecord[]): void {
  localStorage.setItem(INDEX_KEY, JSON.stringify(records));
}

async function metaDir(): Promise<FileSystemDirectoryHandle> {
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(META_DIR, { create: true });
}

export async function saveMetadata(resource: string, bytes: Uint8Array): Promise<void> {
  const dir = await metaDir();
  const handle = await dir.getFileHandle(resource, { create: true });
  const writable = await handle.createWritable();
  await writable.write(bytes as Uint8Array<ArrayBuffer>);
  await writable.close();
}

export async function loadMetadata(resource: string): Promise<Uint8Array | null> {
  try {
    const dir = await metaDir();
    const handle = await dir.getFileHandle(resource);
    return new Uint8Array(await (await handle.getFile()).arrayBuffer());
  } catch {
    return null;
  }
}

// Ids of every share with stored metadata, in no particular order.
export async function listMetadata(): Promise<string[]> {
  try {
    const dir = (await metaDir()) as FileSystemDirectoryHandle & { keys(): AsyncIterable<string> };
    const ids: string[] = [];
    for await (const name of dir.keys()) ids.push(name);
    return ids;
  } catch {
    return [];
  }
}

export async function removeMetadata(resource: string): Promise<void> {
  try {
    await (await metaDir()).removeEntry(resource);
  } catch {
    // not stored
  }
}
