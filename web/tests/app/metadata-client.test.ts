// Covers app/metadata-client with a scripted signaling port and fetch: metadata inline or over
// HTTP, checked against the share id; announce retried once after uploading the metadata the
// server asked for; HTTP failures as typed errors with the server's code.
import { describe, expect, it } from 'vitest';

import { ApiError, MetadataError, SignalingError } from '../../src/engine/errors';
import { shareId } from '../../src/engine/ids';
import { MetadataClient } from '../../src/app/metadata-client';
import type { ConnectionState } from '../../src/net/signaling-client';
import { appShare } from './test-shares';

type Sent = { type: string; [k: string]: unknown };

// A signaling port whose replies the test writes: `answer(message)` returns the reply or throws.
function port(answer: (m: Sent) => unknown, state: ConnectionState = 'open') {
  const sent: Sent[] = [];
  return {
    sent,
    state,
    request: async (m: Sent) => {
      sent.push(m);
      return answer(m);
    },
  };
}

function httpServer(routes: (url: string, init: RequestInit) => Response) {
  const calls: Array<{ url: string; method: string; body: Uint8Array | null }> = [];
  const fetchFn = (async (url: string, init: RequestInit = {}) => {
    calls.push({ url, method: init.method ?? 'GET', body: init.body ? new Uint8Array(init.body as Uint8Array) : null });
    return routes(url, init);
  }) as unknown as typeof fetch;
  return { calls, fetchFn };
}

const client = (signaling: ReturnType<typeof port>, fetchFn: typeof fetch) =>
  new MetadataClient({ signaling: signaling as never, fetch: fetchFn, apiBase: 'http://server' });

describe('MetadataClient.fetch', () => {
  it('takes inline metadata and the holders from the lookup, checked against the id', async () => {
    const share = await appShare(300_000);
    const peers = [{ peer: 'a'.repeat(32), complete: true }];
    const signaling = port(() => ({ type: 'lookup_result', id: 1, resource: share.resource, metadata: share.bytes, metadata_size: share.bytes.length, peer_count: 1, peers }));
    const http = httpServer(() => new Response(null, { status: 500 }));
    const got = await client(signaling, http.fetchFn).fetch(share.resource);
    expect(got.meta.totalSize).toBe(300_000);
    expect([...got.bytes]).toEqual([...share.bytes]);
    expect(got.peers).toEqual(peers);
    expect(signaling.sent).toEqual([{ type: 'lookup', resource: share.resource }]);
    expect(http.calls).toEqual([]);
  });

  it('fetches metadata too large to send inline over HTTP, and lists the holders of the lookup', async () => {
    const share = await appShare(300_000);
    const signaling = port(() => ({ type: 'lookup_result', id: 1, resource: share.resource, metadata_size: share.bytes.length, peer_count: 0, peers: [] }));
    const http = httpServer(() => new Response(share.bytes as Uint8Array<ArrayBuffer>));
    const got = await client(signaling, http.fetchFn).fetch(share.resource);
    expect([...got.bytes]).toEqual([...share.bytes]);
    expect(got.peers).toEqual([]);
    expect(http.calls.map((c) => `${c.method} ${c.url}`)).toEqual([`GET http://server/api/resources/${share.resource}/metadata`]);
  });

  it('fetches over HTTP alone while signaling is not connected, without holders', async () => {
    const share = await appShare(1000);
    const signaling = port(() => {
      throw new Error('not connected');
    }, 'connecting');
    const got = await client(signaling, httpServer(() => new Response(share.bytes as Uint8Array<ArrayBuffer>)).fetchFn).fetch(share.resource);
    expect(got.peers).toBeNull();
    expect(signaling.sent).toEqual([]);
  });

  it('refuses metadata that does not hash to the id', async () => {
    const share = await appShare(1000);
    const other = await appShare(1000, { seed: 99 });
    const signaling = port(() => ({ type: 'lookup_result', id: 1, resource: share.resource, metadata: other.bytes, metadata_size: 1, peer_count: 0, peers: [] }));
    const failure = client(signaling, httpServer(() => new Response(null)).fetchFn).fetch(share.resource);
    await expect(failure).rejects.toBeInstanceOf(MetadataError);
    await expect(failure).rejects.toMatchObject({ code: 'metadata_mismatch' });
  });

  it('passes the server refusing the lookup on as its typed error', async () => {
    const signaling = port(() => {
      throw new SignalingError('not_found', 'no such share');
    });
    await expect(client(signaling, httpServer(() => new Response(null)).fetchFn).fetch(shareId('ab'.repeat(32)))).rejects.toMatchObject({
      name: 'SignalingError',
      code: 'not_found',
    });
  });

  it("turns HTTP failures into ApiErrors with the API's code, or http_failed", async () => {
    const id = shareId('ab'.repeat(32));
    const offline = port(() => null, 'closed');
    const json = (status: number, code: string) => new Response(JSON.stringify({ error: { code, message: 'm' } }), { status });
    const cases: Array<[() => Response, object]> = [
      [() => json(404, 'not_found'), { code: 'not_found', status: 404 }],
      [() => new Response('gone', { status: 404 }), { code: 'not_found', status: 404 }],
      [() => json(503, 'store_unavailable'), { code: 'store_unavailable', status: 503 }],
      [() => new Response('<html>bad gateway</html>', { status: 502 }), { code: 'http_failed', status: 502 }],
    ];
    for (const [route, expected] of cases) {
      const failure = client(offline, httpServer(route).fetchFn).fetch(id);
      await expect(failure).rejects.toBeInstanceOf(ApiError);
      await expect(failure).rejects.toMatchObject(expected);
    }
    const unreachable = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    await expect(client(offline, unreachable).fetch(id)).rejects.toMatchObject({ code: 'http_failed', status: null });
  });
});

describe('MetadataClient.announce', () => {
  it('announces once when the server knows the share', async () => {
    const share = await appShare(1000);
    const signaling = port(() => ({ type: 'announced', id: 1, resource: share.resource, peers: 1 }));
    const http = httpServer(() => new Response(null, { status: 500 }));
    expect(await client(signaling, http.fetchFn).announce(share.resource, true, share.bytes)).toMatchObject({ peers: 1 });
    expect(signaling.sent).toEqual([{ type: 'announce', resource: share.resource, complete: true }]);
    expect(http.calls).toEqual([]);
  });

  it('uploads the metadata and announces again when the server answers metadata_required', async () => {
    const share = await appShare(1000);
    let known = false;
    const signaling = port(() => {
      if (!known) throw new SignalingError('metadata_required', 'send the metadata');
      return { type: 'announced', id: 2, resource: share.resource, peers: 2 };
    });
    const http = httpServer(() => {
      known = true;
      return new Response(null, { status: 201 });
    });
    expect(await client(signaling, http.fetchFn).announce(share.resource, false, share.bytes)).toMatchObject({ peers: 2 });
    expect(http.calls.map((c) => `${c.method} ${c.url}`)).toEqual([`PUT http://server/api/resources/${share.resource}/metadata`]);
    expect([...http.calls[0]!.body!]).toEqual([...share.bytes]);
    expect(signaling.sent.length).toBe(2);
  });

  it('fails with the upload error when the server refuses the metadata, and announces no more', async () => {
    const share = await appShare(1000);
    const signaling = port(() => {
      throw new SignalingError('metadata_required', 'send the metadata');
    });
    const http = httpServer(() => new Response(JSON.stringify({ error: { code: 'store_unavailable', message: 'disk full' } }), { status: 503 }));
    await expect(client(signaling, http.fetchFn).announce(share.resource, true, share.bytes)).rejects.toMatchObject({ name: 'ApiError', code: 'store_unavailable' });
    expect(signaling.sent.length).toBe(1);
  });

  it('does not retry other refusals, nor metadata_required without metadata to upload', async () => {
    const share = await appShare(1000);
    for (const [code, metadata] of [['swarm_full', share.bytes], ['metadata_required', null]] as const) {
      const signaling = port(() => {
        throw new SignalingError(code, code);
      });
      const http = httpServer(() => new Response(null));
      await expect(client(signaling, http.fetchFn).announce(share.resource, false, metadata)).rejects.toMatchObject({ code });
      expect(signaling.sent.length).toBe(1);
      expect(http.calls).toEqual([]);
    }
  });
});
