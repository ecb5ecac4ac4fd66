// Unit tests for the signaling URL (net/signaling-url.ts). Reading the server's welcome is the
// message decoder's (net/messages.ts, tests/net/messages.test.ts).
import { describe, expect, it } from 'vitest';
import { signalingUrl } from '../../src/net/signaling-url';

describe('signalingUrl', () => {
  it('uses ws: on http pages and keeps the port', () => {
    expect(signalingUrl({ protocol: 'http:', host: 'localhost:8080' })).toBe('ws://localhost:8080/ws');
  });

  it('uses wss: on https pages', () => {
    expect(signalingUrl({ protocol: 'https:', host: 'share.example' })).toBe('wss://share.example/ws');
  });
});
