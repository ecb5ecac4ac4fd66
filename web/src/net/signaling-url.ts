// The URL of the signaling WebSocket for the page's own origin (docs/protocol.md §2).

export interface PageLocation {
  protocol: string;
  host: string;
}

export function signalingUrl(location: PageLocation): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}
