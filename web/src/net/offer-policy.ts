// Owns what a page does with an incoming offer, given the link it already has to that peer for that
// share (docs/protocol.md §5.1): answer it on that link (an ICE restart), replace the link (the peer
// started a new connection, or both offered at once and the peer's offer wins), or ignore it.
// Pure: the caller acts on the answer.

export interface ExistingLink {
  initiator: boolean; // we sent the offer of this link
  isOpen: boolean;
  isClosed: boolean;
  linkId: string;
}

export type OfferAction = 'answer-existing' | 'replace-existing' | 'new-link' | 'ignore';

// `offerLink` is the link id the offer carries (absent from peers that predate link ids);
// `self` and `from` are the two peer ids.
export function offerAction(existing: ExistingLink | undefined, offerLink: string | undefined, self: string, from: string): OfferAction {
  if (!existing || existing.isClosed) return 'new-link';
  if (existing.initiator) {
    // Both sides offered at once: the smaller peer id keeps its offer.
    if (!existing.isOpen && self < from) return 'ignore';
    return 'replace-existing'; // crossed offers the peer wins, or the peer started over
  }
  // An offer for the link the peer opened is its ICE restart; one for another link is a new
  // connection (the peer gave the old one up first), which must not be answered on the old one.
  if (offerLink === undefined || offerLink === existing.linkId) return 'answer-existing';
  return 'replace-existing';
}

// The link id a signal's data carries, if any.
export function linkIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const link = (data as { link?: unknown }).link;
  return typeof link === 'string' ? link : undefined;
}
