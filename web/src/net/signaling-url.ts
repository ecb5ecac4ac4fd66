// Pure helpers for the signaling connection: its URL and reading the server's welcome message.

export interface PageLocation {
  protocol: string;
  host: string;
}

export function signalingUrl(location: PageLocation): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

// Returns the peer id from a welcome message, or null if the text is not one.
export function welcomePeerId(text: string): string | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof message !== 'object' || message === null) return null;
  const { type, peer } = message as { type?: unknown; peer?: unknown };
  if (type !== 'welcome' || typeof peer !== 'string' || peer === '') return null;
  return peer;
}
