// Unit tests for the signaling URL (net/signaling-url.ts) and the welcome message helper.
import { describe, expect, it } from 'vitest';
import { signalingUrl, welcomePeerId } from '../../src/net/signaling-url';

describe('signalingUrl', () => {
  it('uses ws: on http pages and keeps the port', () => {
    expect(signalingUrl({ protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/ws');
  });

  it('uses wss: on https pages', () => {
    expect(signalingUrl({ protocol: 'https:', host: 'share.example' })).toBe('wss://share.example/ws');
  });
});

describe('welcomePeerId', () => {
  it('reads the peer id from a welcome message', () => {
    const text = JSON.stringify({ type: 'welcome', protocol: 1, peer: '0123456789abcdef0123456789abcdef', ice_servers: [] });
    expect(welcomePeerId(text)).toBe('0123456789abcdef0123456789abcdef');
  });

  it('returns null for other messages and bad input', () => {
    expect(welcomePeerId('{"type":"error","code":"x"}')).toBeNull();
    expect(welcomePeerId('{"type":"welcome"}')).toBeNull();
    expect(welcomePeerId('{"type":"welcome","peer":""}')).toBeNull();
    expect(welcomePeerId('not json')).toBeNull();
    expect(welcomePeerId('null')).toBeNull();
  });
});
