// The messages this client sent on one connection that the server has not answered yet, in the
// order sent. The server handles a connection's messages one at a time, in order, and its replies
// come in that order (docs/protocol.md §2), so a reply or error carrying one message's id also
// settles every message sent before it: a signal then was relayed (a relayed signal gets no
// reply), and a request then was dropped unanswered (an error without an id said why). Pure: the
// signaling client owns the socket and the timers.
import type { MessageId, ServerMessage } from './messages';

// Signals kept waiting for a refusal at most: more than a page has in flight when it opens every
// link of a share at once (an offer or answer and a few tens of candidates for each of up to
// MAX_PEERS_PER_SHARE + MAX_INCOMING_PER_SHARE links), and the server refuses more than its burst
// (message_burst, 300 by default) anyway. Past it the oldest is forgotten as not refused.
export const MAX_UNSETTLED_SIGNALS = 512;

export type Settlement =
  | { readonly kind: 'answered'; readonly message: ServerMessage } // the reply or error with its id
  | { readonly kind: 'malformed' } // a message with its id that the client could not read
  | { readonly kind: 'passed' } // a message sent after it was answered first
  | { readonly kind: 'forgotten' } // pushed out by newer signals (MAX_UNSETTLED_SIGNALS)
  | { readonly kind: 'lost' }; // the connection closed first

export interface Entry {
  readonly kind: 'request' | 'signal';
  settle(settlement: Settlement): void;
}

export class Outstanding {
  // Ids increase in the order messages are sent, and a Map iterates in insertion order.
  private readonly entries = new Map<MessageId, Entry>();
  private signals = 0;

  get size(): number {
    return this.entries.size;
  }

  add(id: MessageId, entry: Entry): void {
    this.entries.set(id, entry);
    if (entry.kind !== 'signal') return;
    this.signals++;
    if (this.signals <= MAX_UNSETTLED_SIGNALS) return;
    for (const [k, e] of this.entries)
      if (e.kind === 'signal') {
        this.take(k, e);
        e.settle({ kind: 'forgotten' });
        return;
      }
  }

  // The server answered message `id` (`message` is null when it could not be read): that message
  // is settled with the answer, and every message sent before it as passed. An id no longer here
  // (a request that timed out) still settles the earlier ones.
  answered(id: MessageId, message: ServerMessage | null): void {
    for (const [k, e] of this.entries) {
      if (k > id) return;
      this.take(k, e);
      e.settle(k < id ? { kind: 'passed' } : message ? { kind: 'answered', message } : { kind: 'malformed' });
    }
  }

  // Takes one message out unsettled (a request that timed out); undefined when it is not here.
  remove(id: MessageId): Entry | undefined {
    const e = this.entries.get(id);
    if (e) this.take(id, e);
    return e;
  }

  // The connection is gone: every message is settled as lost, oldest first.
  lose(): void {
    const all = [...this.entries.values()];
    this.entries.clear();
    this.signals = 0;
    for (const e of all) e.settle({ kind: 'lost' });
  }

  private take(id: MessageId, e: Entry): void {
    this.entries.delete(id);
    if (e.kind === 'signal') this.signals--;
  }
}
