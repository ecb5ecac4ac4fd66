// Covers net/signaling-client: request/reply by id, typed errors, TURN credential renewal before
// expiry, and the reconnect backoff (growing delays with jitter, reset by a welcome), over a fake
// WebSocket.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { SignalingError } from '../../src/engine/errors';
import { RECONNECT_FIRST_DELAY_MS, RECONNECT_MAX_DELAY_MS, SignalingClient } from '../../src/net/signaling-client';

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

  it('fails pending requests with disconnected when the connection drops, and reconnects', async () => {
    welcome();
    const pending = client.request({ type: 'lookup', resource: 'r' });
    const first = socket;
    socket = new FakeSocket();
    first.close();
    await expect(pending).rejects.toMatchObject({ code: 'disconnected' });
    expect(client.state).toBe('closed');
    vi.advanceTimersByTime(RECONNECT_FIRST_DELAY_MS);
    expect(client.state).toBe('connecting');
  });
});

describe('SignalingClient reconnect backoff', () => {
  let sockets: FakeSocket[];
  let client: SignalingClient;

  const startClient = () => {
    sockets = [];
    client = new SignalingClient({
      url: 'ws://x/ws',
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s as unknown as WebSocket;
      },
    });
    client.start();
  };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal('WebSocket', FakeSocket);
    startClient();
  });
  afterEach(() => {
    client.stop();
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  // Loses the newest connection and returns how long the client waits before the next attempt
  // (the reconnect timer is the only one running).
  const lose = (): number => {
    const count = sockets.length;
    sockets.at(-1)!.close();
    const at = Date.now();
    vi.advanceTimersToNextTimer();
    expect(sockets.length).toBe(count + 1);
    return Date.now() - at;
  };
  // The delay before attempt k + 1 lies in [base/2, base], base doubling from the first delay to the cap.
  const base = (k: number) => Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * 2 ** k);
  const ATTEMPTS = 10; // enough to reach the cap: 500 ms * 2^5 > 15 s

  it('waits longer after each failed attempt, with jitter, up to the cap', () => {
    const delays = Array.from({ length: ATTEMPTS }, lose);
    delays.forEach((d, k) => {
      expect(d).toBeGreaterThanOrEqual(base(k) / 2);
      expect(d).toBeLessThanOrEqual(base(k));
    });
    // Each range starts where the one before ends, so the delays never shrink, and below the cap
    // they at least double every second attempt.
    for (let k = 1; k < ATTEMPTS; k++) expect(delays[k]).toBeGreaterThanOrEqual(delays[k - 1] / 2);
    for (let k = 2; k < ATTEMPTS && base(k) < RECONNECT_MAX_DELAY_MS; k++) expect(delays[k]).toBeGreaterThanOrEqual(delays[k - 2]);
    expect(delays.at(-1)).toBeGreaterThanOrEqual(RECONNECT_MAX_DELAY_MS / 2);
  });

  it('spreads each delay over the whole jitter range: half the base with no luck, the base with all of it', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const low = Array.from({ length: ATTEMPTS }, lose);
    expect(low).toEqual(Array.from({ length: ATTEMPTS }, (_, k) => base(k) / 2));
    client.stop();
    startClient();
    vi.spyOn(Math, 'random').mockReturnValue(1 - Number.EPSILON);
    const high = Array.from({ length: ATTEMPTS }, lose);
    high.forEach((d, k) => expect(d).toBeCloseTo(base(k), -1));
  });

  it('starts again from the first delay once a connection is welcomed', () => {
    vi.spyOn(Math, 'random').mockReturnValue(1 - Number.EPSILON);
    const before = Array.from({ length: 4 }, lose);
    expect(before.at(-1)).toBeGreaterThan(base(2));
    sockets.at(-1)!.receive({ type: 'welcome', protocol: 1, peer: 'p'.repeat(32), ice_servers: [], limits: {} });
    expect(client.state).toBe('open');
    expect(lose()).toBeLessThanOrEqual(RECONNECT_FIRST_DELAY_MS);
    expect(lose()).toBeGreaterThan(RECONNECT_FIRST_DELAY_MS);
  });
});
