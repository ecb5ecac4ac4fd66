// What a page does with an incoming offer given its current link to that peer (net/offer-policy.ts).
import { describe, expect, it } from 'vitest';

import { linkIdOf, offerAction, type ExistingLink } from '../../src/net/offer-policy';

const link = (over: Partial<ExistingLink>): ExistingLink => ({ initiator: false, isOpen: true, isClosed: false, linkId: 'aaaa', ...over });

describe('offerAction', () => {
  it('opens a new link when there is none or it is closed', () => {
    expect(offerAction(undefined, 'bbbb', 'p1', 'p2')).toBe('new-link');
    expect(offerAction(link({ isClosed: true }), 'aaaa', 'p1', 'p2')).toBe('new-link');
  });

  it('answers an ICE restart on the link the peer opened', () => {
    expect(offerAction(link({}), 'aaaa', 'p1', 'p2')).toBe('answer-existing');
    expect(offerAction(link({ isOpen: false }), 'aaaa', 'p1', 'p2')).toBe('answer-existing');
    // a peer that sends no link id cannot be told apart: treated as a restart, as before link ids
    expect(offerAction(link({}), undefined, 'p1', 'p2')).toBe('answer-existing');
  });

  it('replaces the link the peer opened when the offer is for another link', () => {
    expect(offerAction(link({}), 'bbbb', 'p1', 'p2')).toBe('replace-existing');
    expect(offerAction(link({ isOpen: false }), 'bbbb', 'p1', 'p2')).toBe('replace-existing');
  });

  it('settles crossed offers by peer id: the smaller id keeps its own offer', () => {
    const ours = link({ initiator: true, isOpen: false });
    expect(offerAction(ours, 'bbbb', 'p1', 'p2')).toBe('ignore');
    expect(offerAction(ours, 'bbbb', 'p2', 'p1')).toBe('replace-existing');
  });

  it('replaces an open link we offered when the peer starts over', () => {
    expect(offerAction(link({ initiator: true }), 'bbbb', 'p1', 'p2')).toBe('replace-existing');
  });
});

describe('linkIdOf', () => {
  it('reads a string link id from signal data and nothing else', () => {
    expect(linkIdOf({ sdp: {}, link: 'abc' })).toBe('abc');
    expect(linkIdOf({ sdp: {} })).toBeUndefined();
    expect(linkIdOf({ link: 7 })).toBeUndefined();
    expect(linkIdOf(null)).toBeUndefined();
    expect(linkIdOf('x')).toBeUndefined();
  });
});
