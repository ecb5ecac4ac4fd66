// What the swarm needs from a connection to one peer: an ordered, reliable message pipe with a
// send buffer it can watch. A WebRTC DataChannel provides it in the browser (net/peer-link.ts);
// unit tests use an in-memory pair.
export interface WireChannel {
  send(message: ArrayBuffer): void;
  // Bytes queued by send() and not yet handed to the network.
  readonly bufferedAmount: number;
  // The largest message the channel carries in both directions (RTCSctpTransport.maxMessageSize).
  readonly maxMessageSize: number;
  // Called whenever the send buffer drains to LOW_WATER or below.
  onDrain(listener: () => void): void;
  close(): void;
  // True while the network path is down and the connection is restoring it (an ICE restart):
  // blocks that do not arrive meanwhile are not the peer's stall. The connection gives up by
  // itself (closes) if the path does not come back.
  readonly interrupted?: boolean;
}
