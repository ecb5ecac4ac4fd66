// Covers net/signaling-client: request/reply by id, typed errors, and TURN credential renewal
// before expiry, over a fake WebSocket.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { SignalingError } from '../../src/engine/errors';
import { SignalingClient } from '../../src/net/signaling-client';

// The browser's WebSocket, reduced to what the client uses.
class FakeSocket extends EventTarget {
  static OPEN = 1;
  readyState = 1;
  sent: Array<Record<string, unknown>> = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(): void {
    this.readyState = 3;
    this.dispatchEvent(new Event('close'));
  }
  receive(message: Record<string, unknown>): void {
    const e = new MessageEvent('message', { data: JSON.stringify(message) });
    this.dispatchEvent(e);
  }
}

describe('SignalingClient', () => {
  let socket: FakeSocket;
  let client: SignalingClient;

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('WebSocket', FakeSocket);
    socket = new FakeSocket();
    client = new SignalingClient({ url: 'ws://x/ws', createSocket: () => socket as unknown as WebSocket });
    client.start();
  });
  afterEach(() => {
    client.stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const welcome = (extra: Record<string, unknown> = {}) =>
    socket.receive({ type: 'welcome', protocol: 1, peer: 'p'.repeat(32), ice_servers: [], limits: {}, ...extra });

  it('takes its peer id, ICE servers and transport policy from welcome', () => {
    welcome({ ice_servers: [{ urls: ['stun:h:3478'] }], ice_transport_policy: 'relay' });
    expect(client.state).toBe('open');
    expect(client.peerId).toBe('p'.repeat(32));
    expect(client.iceServers).toEqual([{ urls: ['stun:h:3478'] }]);
    expect(client.iceTransportPolicy).toBe('relay');
  });

  it('resolves a request with the reply carrying its id and rejects with the server error code', async () => {
    welcome();
    const ok = client.request({ type: 'lookup', resource: 'r' });
    const bad = client.request({ type: 'lookup', resource: 'q' });
    const [a, b] = socket.sent;
    socket.receive({ type: 'error', code: 'not_found', message: 'no such share', id: b.id });
    socket.receive({ type: 'lookup_result', id: a.id, peers: [] });
    await expect(ok).resolves.toMatchObject({ type: 'lookup_result' });
    await expect(bad).rejects.toMatchObject({ code: 'not_found' });
    await expect(bad).rejects.toBeInstanceOf(SignalingError);
  });

  it('asks for fresh TURN credentials at 80% of their lifetime and uses them', async () => {
    const now = Date.now();
    welcome({ ice_servers: [{ urls: ['turn:t'], username: 'old', credential: 'c' }], ice_expires: Math.floor(now / 1000) + 100 });
    vi.advanceTimersByTime(79_000);
    expect(socket.sent.filter((m) => m.type === 'ice')).toEqual([]);
    vi.advanceTimersByTime(2_000);
    const ask = socket.sent.find((m) => m.type === 'ice');
    expect(ask).toBeDefined();
    socket.receive({ type: 'ice_servers', id: ask!.id, ice_servers: [{ urls: ['turn:t'], username: 'new', credential: 'd' }], ice_expires: Math.floor(now / 1000) + 200 });
    await vi.waitFor(() => expect(client.iceServers[0]).toMatchObject({ username: 'new' }));
  });

  it('fails pending requests and reconnects with backoff when the connection drops', async () => {
    welcome();
    const pending = client.request({ type: 'lookup', resource: 'r' });
    const first = socket;
    socket = new FakeSocket();
    first.close();
    await expect(pending).rejects.toMatchObject({ code: 'disconnected' });
    expect(client.state).toBe('closed');
    vi.advanceTimersByTime(1000);
    expect(client.state).toBe('connecting');
  });
});
