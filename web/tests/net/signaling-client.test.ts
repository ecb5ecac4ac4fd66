// Covers net/signaling-client over a fake WebSocket: typed requests and replies by id, typed errors
// (the server's, timeouts, disconnects, replies it cannot use), rate limits with and without an id,
// signals sent with ids and settled as relayed or refused, decoded pushes, messages it cannot read,
// TURN credential renewal before expiry, and the reconnect backoff (growing delays with jitter,
// reset by a welcome).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { SignalingError } from '../../src/engine/errors';
import { peerId, shareId } from '../../src/engine/ids';
import { RECONNECT_FIRST_DELAY_MS, RECONNECT_MAX_DELAY_MS, REQUEST_TIMEOUT_MS, SignalingClient } from '../../src/net/signaling-client';

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

const PEER = '0123456789abcdef'.repeat(2);
const OTHER = 'f'.repeat(32);
const R = shareId('ab'.repeat(32));
const Q = shareId('cd'.repeat(32));
const lookupReply = (id: unknown, extra: Record<string, unknown> = {}) => ({
  type: 'lookup_result',
  id,
  resource: R,
  metadata_size: 0,
  peer_count: 0,
  peers: [],
  ...extra,
});

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
    vi.restoreAllMocks();
  });

  const welcome = (extra: Record<string, unknown> = {}) =>
    socket.receive({ type: 'welcome', protocol: 1, peer: PEER, ice_servers: [], limits: {}, ...extra });
  const sentOf = (type: string) => socket.sent.filter((m) => m.type === type);

  it('takes its peer id, ICE servers and transport policy from welcome', () => {
    welcome({ ice_servers: [{ urls: ['stun:h:3478'] }], ice_transport_policy: 'relay' });
    expect(client.state).toBe('open');
    expect(client.peerId).toBe(PEER);
    expect(client.iceServers).toEqual([{ urls: ['stun:h:3478'] }]);
    expect(client.iceTransportPolicy).toBe('relay');
  });

  it('does not open on a welcome it cannot read', () => {
    welcome({ peer: 'not a peer id' });
    expect(client.state).toBe('connecting');
    expect(client.peerId).toBeNull();
  });

  it('resolves a request with the decoded reply carrying its id and rejects with the server error code', async () => {
    welcome();
    const ok = client.request({ type: 'lookup', resource: R });
    const bad = client.request({ type: 'lookup', resource: Q });
    const [a, b] = socket.sent;
    expect(a).toEqual({ type: 'lookup', resource: R, id: a!.id });
    socket.receive(lookupReply(a!.id, { metadata: btoa('\u0001\u0002'), metadata_size: 2, peers: [{ peer: OTHER, complete: true }] }));
    socket.receive({ type: 'error', code: 'not_found', message: 'no such share', id: b!.id });
    const reply = await ok;
    expect(reply.type).toBe('lookup_result');
    expect([...reply.metadata!]).toEqual([1, 2]);
    expect(reply.peers).toEqual([{ peer: OTHER, complete: true }]);
    await expect(bad).rejects.toMatchObject({ code: 'not_found' });
    await expect(bad).rejects.toBeInstanceOf(SignalingError);
  });

  it('rejects a request answered with a reply of another type, or one it cannot read, at once', async () => {
    welcome();
    const announce = client.request({ type: 'announce', resource: R, complete: true });
    const lookup = client.request({ type: 'lookup', resource: R });
    const [a, b] = socket.sent;
    socket.receive({ type: 'left', id: a!.id, resource: R });
    socket.receive({ type: 'lookup_result', id: b!.id, resource: R }); // fields missing
    await expect(announce).rejects.toMatchObject({ code: 'bad_reply' });
    await expect(lookup).rejects.toMatchObject({ code: 'bad_reply' });
  });

  it('rejects a request the server rate limited at once, when the refusal carries its id', async () => {
    welcome();
    const lookup = client.request({ type: 'lookup', resource: R });
    socket.receive({ type: 'error', code: 'rate_limited', message: 'too many messages', id: socket.sent[0]!.id });
    await expect(lookup).rejects.toMatchObject({ name: 'SignalingError', code: 'rate_limited' });
  });

  it('reports an error without an id as an error event, and fails a request passed over after it with its code', async () => {
    welcome();
    const errors: SignalingError[] = [];
    client.on('error', (e) => errors.push(e));
    const dropped = client.request({ type: 'lookup', resource: R });
    const answered = client.request({ type: 'lookup', resource: Q });
    socket.receive({ type: 'error', code: 'rate_limited', message: 'too many messages' });
    expect(errors.map((e) => e.code)).toEqual(['rate_limited']);
    // Replies come in the order messages were sent: the reply to the second means the first was dropped.
    socket.receive(lookupReply(socket.sent[1]!.id, { resource: Q }));
    await expect(dropped).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(answered).resolves.toMatchObject({ resource: Q });
  });

  it('fails a request left unanswered after an error without an id with that error, not as a timeout', async () => {
    welcome();
    const lookup = client.request({ type: 'lookup', resource: R });
    socket.receive({ type: 'error', code: 'rate_limited', message: 'too many messages' });
    vi.advanceTimersByTime(REQUEST_TIMEOUT_MS);
    await expect(lookup).rejects.toMatchObject({ code: 'rate_limited' });
  });

  it('times a request out when nothing answers it', async () => {
    welcome();
    const lookup = client.request({ type: 'lookup', resource: R });
    vi.advanceTimersByTime(REQUEST_TIMEOUT_MS);
    await expect(lookup).rejects.toMatchObject({ code: 'timeout' });
  });

  it('sends every signal with an id: a refusal carrying it refuses that signal, a later reply relays the others', async () => {
    welcome();
    const offer = client.signal({ resource: R, to: peerId(OTHER), kind: 'offer', data: { sdp: 'o', link: 'l' } });
    const candidate = client.signal({ resource: R, to: peerId(OTHER), kind: 'candidate', data: { candidate: 'c', link: 'l' } });
    const refusedOne = client.signal({ resource: R, to: peerId(OTHER), kind: 'candidate', data: { candidate: 'd', link: 'l' } });
    const later = client.request({ type: 'lookup', resource: R });
    const ids = sentOf('signal').map((m) => m.id);
    expect(new Set(ids).size).toBe(3);
    expect(sentOf('signal')[0]).toEqual({ type: 'signal', resource: R, to: OTHER, kind: 'offer', data: { sdp: 'o', link: 'l' }, id: ids[0] });
    socket.receive({ type: 'error', code: 'unknown_peer', message: 'no such peer', id: ids[2] });
    await expect(refusedOne).resolves.toMatchObject({ status: 'refused', error: { code: 'unknown_peer' } });
    await expect(offer).resolves.toEqual({ status: 'relayed' });
    await expect(candidate).resolves.toEqual({ status: 'relayed' });
    socket.receive(lookupReply(socket.sent.at(-1)!.id));
    await later;
  });

  it('reports an unsent signal, and one lost with the connection, as unknown', async () => {
    expect(await client.signal({ resource: R, to: peerId(OTHER), kind: 'offer', data: {} })).toEqual({ status: 'unknown' });
    welcome();
    const pending = client.signal({ resource: R, to: peerId(OTHER), kind: 'offer', data: {} });
    const first = socket;
    socket = new FakeSocket();
    first.close();
    expect(await pending).toEqual({ status: 'unknown' });
  });

  it('emits the pushes decoded: signal, peer_joined, peer_left', () => {
    welcome();
    const seen: unknown[] = [];
    client.on('signal', (m) => seen.push(m));
    client.on('peer_joined', (m) => seen.push(m));
    client.on('peer_left', (m) => seen.push(m));
    socket.receive({ type: 'signal', resource: R, from: OTHER, kind: 'answer', data: { sdp: 'a' } });
    socket.receive({ type: 'peer_joined', resource: R, peer: OTHER, complete: true });
    socket.receive({ type: 'peer_left', resource: R, peer: OTHER });
    expect(seen).toEqual([
      { type: 'signal', resource: R, from: OTHER, kind: 'answer', data: { sdp: 'a' } },
      { type: 'peer_joined', resource: R, peer: OTHER, complete: true },
      { type: 'peer_left', resource: R, peer: OTHER },
    ]);
  });

  it('ignores messages it cannot read, logging each kind once, and carries on', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    welcome();
    const seen: unknown[] = [];
    client.on('peer_left', (m) => seen.push(m));
    for (let i = 0; i < 3; i++) {
      socket.dispatchEvent(new MessageEvent('message', { data: 'not json' }));
      socket.receive({ type: 'peer_left', resource: R, peer: 'short' });
      socket.receive({ type: 'brand_new' });
    }
    expect(warn).toHaveBeenCalledTimes(3);
    socket.receive({ type: 'peer_left', resource: R, peer: OTHER });
    expect(seen).toEqual([{ type: 'peer_left', resource: R, peer: OTHER }]);
  });

  it('asks for fresh TURN credentials at 80% of their lifetime and uses them', async () => {
    const now = Date.now();
    welcome({ ice_servers: [{ urls: ['turn:t'], username: 'old', credential: 'c' }], ice_expires: Math.floor(now / 1000) + 100 });
    vi.advanceTimersByTime(79_000);
    expect(sentOf('ice')).toEqual([]);
    vi.advanceTimersByTime(2_000);
    const ask = sentOf('ice')[0];
    expect(ask).toBeDefined();
    socket.receive({ type: 'ice_servers', id: ask!.id, ice_servers: [{ urls: ['turn:t'], username: 'new', credential: 'd' }], ice_expires: Math.floor(now / 1000) + 200 });
    await vi.waitFor(() => expect(client.iceServers[0]).toMatchObject({ username: 'new' }));
  });

  it('fails pending requests with disconnected when the connection drops, and reconnects', async () => {
    welcome();
    const pending = client.request({ type: 'lookup', resource: R });
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
    sockets.at(-1)!.receive({ type: 'welcome', protocol: 1, peer: PEER, ice_servers: [], limits: {} });
    expect(client.state).toBe('open');
    expect(lose()).toBeLessThanOrEqual(RECONNECT_FIRST_DELAY_MS);
    expect(lose()).toBeGreaterThan(RECONNECT_FIRST_DELAY_MS);
  });
});
