// Unit tests of filesFromHandles (app/file-handles.ts): when stored file handles give their files
// back, when they need the person's permission, and when a file is gone. The handles are fakes with
// the FileSystemFileHandle methods the app calls.
import { describe, expect, it } from 'vitest';
import { filesFromHandles, type ReadableHandle } from '../../src/app/file-handles';

function fakeHandle(
  name: string,
  { state = 'granted', onRequest = 'granted', missing = false }: { state?: PermissionState; onRequest?: PermissionState; missing?: boolean } = {},
): ReadableHandle & { requests: number } {
  let current = state;
  const h = {
    kind: 'file',
    name,
    requests: 0,
    async queryPermission() {
      return current;
    },
    async requestPermission() {
      h.requests += 1;
      current = onRequest;
      return current;
    },
    async getFile() {
      if (missing) throw new DOMException('gone', 'NotFoundError');
      return new File([name], name);
    },
  };
  return h;
}

describe('filesFromHandles', () => {
  it('reads every file in order when reading is granted, asking nothing', async () => {
    const handles = [fakeHandle('a.bin'), fakeHandle('b.bin')];
    const result = await filesFromHandles(handles, { ask: true });
    expect('files' in result && result.files.map((f) => f.name)).toEqual(['a.bin', 'b.bin']);
    expect(handles.map((h) => h.requests)).toEqual([0, 0]);
  });

  it('reports prompt without asking when not called from a click', async () => {
    const handle = fakeHandle('a.bin', { state: 'prompt' });
    expect(await filesFromHandles([handle], { ask: false })).toEqual({ blocked: 'prompt' });
    expect(handle.requests).toBe(0);
  });

  it('asks for permission from a click and reads the files once granted', async () => {
    const handles = [fakeHandle('a.bin', { state: 'prompt' }), fakeHandle('b.bin', { state: 'prompt' })];
    const result = await filesFromHandles(handles, { ask: true });
    expect('files' in result && result.files.map((f) => f.name)).toEqual(['a.bin', 'b.bin']);
    expect(handles.map((h) => h.requests)).toEqual([1, 1]);
  });

  it('reports denied when the person refuses, and reads nothing', async () => {
    const later = fakeHandle('b.bin', { state: 'prompt' });
    const result = await filesFromHandles([fakeHandle('a.bin', { state: 'prompt', onRequest: 'denied' }), later], { ask: true });
    expect(result).toEqual({ blocked: 'denied' });
    expect(later.requests).toBe(0);
  });

  it('reports missing when a file was moved or deleted', async () => {
    const result = await filesFromHandles([fakeHandle('a.bin'), fakeHandle('b.bin', { missing: true })], { ask: false });
    expect(result).toEqual({ blocked: 'missing' });
  });

  it('reports prompt when the browser refuses to ask (no user activation left)', async () => {
    const handle = fakeHandle('a.bin', { state: 'prompt' });
    handle.requestPermission = async () => {
      throw new DOMException('must be handling a user gesture', 'SecurityError');
    };
    expect(await filesFromHandles([handle], { ask: true })).toEqual({ blocked: 'prompt' });
  });

  it('takes a handle without permission methods as readable', async () => {
    const bare: ReadableHandle = { kind: 'file', name: 'x', getFile: async () => new File(['x'], 'x') };
    const result = await filesFromHandles([bare], { ask: false });
    expect('files' in result && result.files.length).toBe(1);
  });
});
