// Covers net/messages: every server message of docs/protocol.md §2.1 decodes to its typed form, and
// whatever else arrives (not JSON, unknown types, missing or malformed fields) is a typed decode
// error, never an exception.
import { describe, expect, it } from 'vitest';

import { peerId, shareId } from '../../src/engine/ids';
import { decodeServerMessage, encodeClientMessage, MessageDecodeError, REPLY_TYPE, type ServerMessage } from '../../src/net/messages';

const SHARE = 'ab'.repeat(32);
const PEER = '0123456789abcdef'.repeat(2);
const OTHER = 'f'.repeat(32);

function decoded(message: unknown): ServerMessage {
  const result = decodeServerMessage(JSON.stringify(message));
  if (!result.ok) throw new Error(`refused: ${result.error.message}`);
  return result.message;
}

function refused(text: string): MessageDecodeError {
  const result = decodeServerMessage(text);
  if (result.ok) throw new Error(`decoded ${text}`);
  expect(result.error).toBeInstanceOf(MessageDecodeError);
  return result.error;
}
const refusedMessage = (message: unknown) => refused(JSON.stringify(message));

describe('decodeServerMessage: what protocol 1 defines', () => {
  it('reads a welcome, with the ICE servers, policy, expiry and limits', () => {
    const welcome = {
      type: 'welcome',
      protocol: 1,
      peer: PEER,
      ice_servers: [{ urls: ['stun:h:3478'] }, { urls: 'turn:t:3478', username: '1700000000:p', credential: 'c' }],
      ice_transport_policy: 'relay',
      ice_expires: 1700000000,
      limits: { max_message_bytes: 65536, messages_per_second: 50 },
    };
    expect(decoded(welcome)).toEqual(welcome);
  });

  it('reads a welcome without a policy as policy "all", and ignores fields and limits it does not know', () => {
    const m = decoded({ type: 'welcome', protocol: 2, peer: PEER, ice_servers: [], limits: { later: 'text', max_swarms: 256 }, news: 1 });
    expect(m).toEqual({ type: 'welcome', protocol: 2, peer: PEER, ice_servers: [], ice_transport_policy: 'all', limits: { max_swarms: 256 } });
  });

  it('reads the replies to announce, lookup, ice and leave', () => {
    expect(decoded({ type: 'announced', id: 1, resource: SHARE, peers: 3 })).toEqual({ type: 'announced', id: 1, resource: SHARE, peers: 3 });
    expect(decoded({ type: 'left', id: 4, resource: SHARE })).toEqual({ type: 'left', id: 4, resource: SHARE });
    expect(decoded({ type: 'ice_servers', id: 5, ice_servers: [{ urls: ['turn:t'] }], ice_transport_policy: 'all', ice_expires: 9 })).toEqual({
      type: 'ice_servers',
      id: 5,
      ice_servers: [{ urls: ['turn:t'] }],
      ice_transport_policy: 'all',
      ice_expires: 9,
    });
    const lookup = decoded({
      type: 'lookup_result',
      id: 2,
      resource: SHARE,
      metadata: btoa('PSH1\u0000'),
      metadata_size: 5,
      peer_count: 2,
      peers: [{ peer: PEER, complete: true }, { peer: OTHER, complete: false }],
    });
    expect(lookup).toMatchObject({ type: 'lookup_result', id: 2, metadata_size: 5, peer_count: 2 });
    expect(lookup.type === 'lookup_result' && [...lookup.metadata!]).toEqual([0x50, 0x53, 0x48, 0x31, 0]);
    expect(lookup.type === 'lookup_result' && lookup.peers).toEqual([{ peer: PEER, complete: true }, { peer: OTHER, complete: false }]);
  });

  it('reads a lookup result without inline metadata', () => {
    const m = decoded({ type: 'lookup_result', id: 2, resource: SHARE, metadata_size: 40000, peer_count: 0, peers: [] });
    expect(m.type === 'lookup_result' && m.metadata).toBeUndefined();
  });

  it('reads the pushes: signal (any data), peer_joined, peer_left', () => {
    expect(decoded({ type: 'signal', resource: SHARE, from: PEER, kind: 'offer', data: { sdp: { type: 'offer' }, link: 'x' } })).toEqual({
      type: 'signal',
      resource: SHARE,
      from: PEER,
      kind: 'offer',
      data: { sdp: { type: 'offer' }, link: 'x' },
    });
    expect(decoded({ type: 'signal', resource: SHARE, from: PEER, kind: 'candidate', data: null })).toMatchObject({ data: null });
    expect(decoded({ type: 'peer_joined', resource: SHARE, peer: PEER, complete: false })).toEqual({ type: 'peer_joined', resource: SHARE, peer: PEER, complete: false });
    expect(decoded({ type: 'peer_left', resource: SHARE, peer: PEER })).toEqual({ type: 'peer_left', resource: SHARE, peer: PEER });
  });

  it('reads errors with and without an id, with their code', () => {
    expect(decoded({ type: 'error', code: 'unknown_peer', message: 'no such peer', id: 7 })).toEqual({ type: 'error', code: 'unknown_peer', message: 'no such peer', id: 7 });
    expect(decoded({ type: 'error', code: 'rate_limited', message: 'slow down' })).toEqual({ type: 'error', code: 'rate_limited', message: 'slow down' });
  });
});

describe('decodeServerMessage: what it refuses, as a typed error', () => {
  it('text that is not JSON, and JSON that is not an object with a type', () => {
    expect(refused('not json').code).toBe('not_json');
    expect(refused('').code).toBe('not_json');
    for (const text of ['null', '[]', '3', '"welcome"', '{}', '{"type":5}']) expect(refused(text).code, text).toBe('not_object');
  });

  it('a type protocol 1 does not define, keeping its id', () => {
    const e = refusedMessage({ type: 'surprise', id: 12 });
    expect(e).toMatchObject({ code: 'unknown_type', messageType: 'surprise', id: 12 });
  });

  it('missing fields, wrong types and ids of the wrong format, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ type: 'welcome', protocol: 1, ice_servers: [], limits: {} }, /peer is missing/],
      [{ type: 'welcome', protocol: 1, peer: PEER.slice(1), ice_servers: [], limits: {} }, /peer .* not a peer id/],
      [{ type: 'welcome', protocol: 1, peer: PEER, ice_servers: {}, limits: {} }, /ice_servers/],
      [{ type: 'welcome', protocol: 1, peer: PEER, ice_servers: [{ urls: 3 }], limits: {} }, /ice_servers\[0\]\.urls/],
      [{ type: 'welcome', protocol: 1, peer: PEER, ice_servers: [], ice_transport_policy: 'none', limits: {} }, /ice_transport_policy/],
      [{ type: 'welcome', protocol: 1, peer: PEER, ice_servers: [] }, /limits/],
      [{ type: 'announced', id: 1, resource: SHARE.toUpperCase(), peers: 1 }, /resource .* not a share id/],
      [{ type: 'announced', id: -1, resource: SHARE, peers: 1 }, /id/],
      [{ type: 'announced', id: 1.5, resource: SHARE, peers: 1 }, /id/],
      [{ type: 'announced', resource: SHARE, peers: 1 }, /id is missing/],
      [{ type: 'lookup_result', id: 1, resource: SHARE, metadata: 'not base64!', metadata_size: 1, peer_count: 0, peers: [] }, /metadata .* not base64/],
      [{ type: 'lookup_result', id: 1, resource: SHARE, metadata_size: 1, peer_count: 0, peers: [{ peer: PEER }] }, /peers\[0\]/],
      [{ type: 'signal', resource: SHARE, from: PEER, kind: 'hello', data: {} }, /kind/],
      [{ type: 'signal', resource: SHARE, from: PEER, kind: 'offer' }, /data is missing/],
      [{ type: 'peer_joined', resource: SHARE, peer: PEER, complete: 'yes' }, /complete/],
      [{ type: 'error', code: 'brand_new', message: 'x' }, /code .* not an error code/],
      [{ type: 'error', code: 'internal' }, /message is missing/],
    ];
    for (const [message, why] of cases) {
      const e = refusedMessage(message);
      expect(e.code, JSON.stringify(message)).toBe('bad_field');
      expect(e.message, JSON.stringify(message)).toMatch(why);
      expect(e.messageType).toBe((message as { type: string }).type);
    }
  });

  it('keeps the id of a malformed reply, so the request it answers can fail at once', () => {
    expect(refusedMessage({ type: 'lookup_result', id: 9, resource: SHARE })).toMatchObject({ code: 'bad_field', id: 9 });
  });

  it('never throws, whatever the text', () => {
    const valid = JSON.stringify({ type: 'lookup_result', id: 2, resource: SHARE, metadata: btoa('abc'), metadata_size: 3, peer_count: 1, peers: [{ peer: PEER, complete: true }] });
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const chars = [...valid];
      for (let k = 0; k < 3; k++) chars[Math.floor(random() * chars.length)] = String.fromCharCode(32 + Math.floor(random() * 95));
      const text = chars.join('').slice(0, Math.floor(random() * (valid.length + 1)));
      expect(() => decodeServerMessage(text)).not.toThrow();
    }
  });
});

describe('client messages', () => {
  it('are written as the JSON object of §2.2', () => {
    expect(JSON.parse(encodeClientMessage({ type: 'signal', id: 3, resource: shareId(SHARE), to: peerId(PEER), kind: 'offer', data: { sdp: 'x' } }))).toEqual({
      type: 'signal',
      id: 3,
      resource: SHARE,
      to: PEER,
      kind: 'offer',
      data: { sdp: 'x' },
    });
  });

  it('each request has its reply type', () => {
    expect(REPLY_TYPE).toEqual({ announce: 'announced', lookup: 'lookup_result', leave: 'left', ice: 'ice_servers' });
  });
});
