// The signaling messages of docs/protocol.md §2 as one schema: a tagged union of what the client
// sends, a tagged union of what the server sends, which reply answers which request, and the one
// validating decoder of server messages. The decoder never throws: an unknown or malformed message
// comes back as a typed MessageDecodeError. Field names are those on the wire; the only conversion
// is `metadata`, whose base64 becomes bytes.
import { isServerErrorCode, PeershareError, type ServerErrorCode } from '../engine/errors';
import { isPeerId, isShareId, type PeerId, type ShareId } from '../engine/ids';

// Every message this client sends carries a number; the server echoes it in the reply (§2).
export type MessageId = number;

export type SignalKind = 'offer' | 'answer' | 'candidate';
const SIGNAL_KINDS: readonly string[] = ['offer', 'answer', 'candidate'];

// --- client -> server (§2.2) ---

export interface AnnounceMessage {
  readonly type: 'announce';
  readonly id?: MessageId;
  readonly resource: ShareId;
  readonly complete: boolean;
  readonly metadata?: string; // base64
}
export interface LookupMessage {
  readonly type: 'lookup';
  readonly id?: MessageId;
  readonly resource: ShareId;
}
export interface SignalMessage {
  readonly type: 'signal';
  readonly id?: MessageId;
  readonly resource: ShareId;
  readonly to: PeerId;
  readonly kind: SignalKind;
  readonly data: unknown;
}
export interface IceMessage {
  readonly type: 'ice';
  readonly id?: MessageId;
}
export interface LeaveMessage {
  readonly type: 'leave';
  readonly id?: MessageId;
  readonly resource: ShareId;
}
export type ClientMessage = AnnounceMessage | LookupMessage | SignalMessage | IceMessage | LeaveMessage;

export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

// --- server -> client (§2.1) ---

export interface IceServer {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}
export type IceTransportPolicy = 'all' | 'relay';

export interface WelcomeMessage {
  readonly type: 'welcome';
  readonly protocol: number;
  readonly peer: PeerId;
  readonly ice_servers: readonly IceServer[];
  readonly ice_transport_policy: IceTransportPolicy; // 'all' when the server leaves it out
  readonly ice_expires?: number; // Unix seconds
  readonly limits: Readonly<Record<string, number>>;
}
export interface AnnouncedMessage {
  readonly type: 'announced';
  readonly id: MessageId;
  readonly resource: ShareId;
  readonly peers: number;
}
export interface LookupPeer {
  readonly peer: PeerId;
  readonly complete: boolean;
}
export interface LookupResultMessage {
  readonly type: 'lookup_result';
  readonly id: MessageId;
  readonly resource: ShareId;
  readonly metadata?: Uint8Array; // decoded from base64; absent when too large to send inline
  readonly metadata_size: number;
  readonly peer_count: number;
  readonly peers: readonly LookupPeer[];
}
export interface IceServersMessage {
  readonly type: 'ice_servers';
  readonly id: MessageId;
  readonly ice_servers: readonly IceServer[];
  readonly ice_transport_policy: IceTransportPolicy;
  readonly ice_expires?: number;
}
export interface LeftMessage {
  readonly type: 'left';
  readonly id: MessageId;
  readonly resource: ShareId;
}
export interface SignalPush {
  readonly type: 'signal';
  readonly resource: ShareId;
  readonly from: PeerId;
  readonly kind: SignalKind;
  readonly data: unknown;
}
export interface PeerJoinedMessage {
  readonly type: 'peer_joined';
  readonly resource: ShareId;
  readonly peer: PeerId;
  readonly complete: boolean;
}
export interface PeerLeftMessage {
  readonly type: 'peer_left';
  readonly resource: ShareId;
  readonly peer: PeerId;
}
export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ServerErrorCode;
  readonly message: string;
  readonly id?: MessageId; // absent when the error answers no message of ours, or one unread
}
export type ReplyMessage = AnnouncedMessage | LookupResultMessage | IceServersMessage | LeftMessage;
export type PushMessage = WelcomeMessage | SignalPush | PeerJoinedMessage | PeerLeftMessage;
export type ServerMessage = ReplyMessage | PushMessage | ErrorMessage;

// Which reply answers which request (signal has none on success).
export interface Requests {
  announce: { request: AnnounceMessage; reply: AnnouncedMessage };
  lookup: { request: LookupMessage; reply: LookupResultMessage };
  leave: { request: LeaveMessage; reply: LeftMessage };
  ice: { request: IceMessage; reply: IceServersMessage };
}
export type RequestType = keyof Requests;
export const REPLY_TYPE: { readonly [K in RequestType]: Requests[K]['reply']['type'] } = {
  announce: 'announced',
  lookup: 'lookup_result',
  leave: 'left',
  ice: 'ice_servers',
};

// --- decoding ---

// not_json: the text is not JSON; not_object: not a JSON object, or without a string `type`;
// unknown_type: a `type` protocol 1 does not define; bad_field: a field missing, of the wrong type
// or outside its format.
export type DecodeFailure = 'not_json' | 'not_object' | 'unknown_type' | 'bad_field';

export class MessageDecodeError extends PeershareError {
  declare readonly code: DecodeFailure;
  readonly messageType: string | null;
  readonly id: MessageId | null; // when the message carried a readable one

  constructor(code: DecodeFailure, messageType: string | null, id: MessageId | null, message: string) {
    super(code, message);
    this.name = 'MessageDecodeError';
    this.messageType = messageType;
    this.id = id;
  }
}

export type Decoded = { readonly ok: true; readonly message: ServerMessage } | { readonly ok: false; readonly error: MessageDecodeError };

// Thrown inside the decoder only, to leave a message at its first bad field.
class BadField extends Error {}

// Reads the fields of one object; each getter throws BadField naming the field.
class Fields {
  constructor(private readonly o: Record<string, unknown>) {}

  private bad(name: string, want: string): never {
    throw new BadField(`field ${name} is ${describe(this.o[name])}, not ${want}`);
  }
  string(name: string): string {
    const v = this.o[name];
    return typeof v === 'string' ? v : this.bad(name, 'a string');
  }
  boolean(name: string): boolean {
    const v = this.o[name];
    return typeof v === 'boolean' ? v : this.bad(name, 'a boolean');
  }
  count(name: string): number {
    const v = this.o[name];
    return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : this.bad(name, 'a count');
  }
  optionalCount(name: string): number | undefined {
    return this.o[name] === undefined ? undefined : this.count(name);
  }
  id(): MessageId {
    const v = this.o.id;
    return Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : this.bad('id', 'a message id');
  }
  shareId(name: string): ShareId {
    const v = this.o[name];
    return isShareId(v) ? v : this.bad(name, 'a share id');
  }
  peerId(name: string): PeerId {
    const v = this.o[name];
    return isPeerId(v) ? v : this.bad(name, 'a peer id');
  }
  kind(): SignalKind {
    const v = this.o.kind;
    return typeof v === 'string' && SIGNAL_KINDS.includes(v) ? (v as SignalKind) : this.bad('kind', 'offer, answer or candidate');
  }
  present(name: string): unknown {
    return name in this.o ? this.o[name] : this.bad(name, 'present');
  }
  policy(): IceTransportPolicy {
    const v = this.o.ice_transport_policy;
    if (v === undefined) return 'all';
    return v === 'all' || v === 'relay' ? v : this.bad('ice_transport_policy', "'all' or 'relay'");
  }
  iceServers(): IceServer[] {
    const v = this.o.ice_servers;
    if (!Array.isArray(v)) return this.bad('ice_servers', 'a list');
    return v.map((entry, i) => {
      if (!isObject(entry)) throw new BadField(`ice_servers[${i}] is not an object`);
      const { urls, username, credential } = entry;
      const urlsOk = typeof urls === 'string' || (Array.isArray(urls) && urls.every((u) => typeof u === 'string'));
      if (!urlsOk) throw new BadField(`ice_servers[${i}].urls is not a URL or a list of URLs`);
      if (username !== undefined && typeof username !== 'string') throw new BadField(`ice_servers[${i}].username is not a string`);
      if (credential !== undefined && typeof credential !== 'string') throw new BadField(`ice_servers[${i}].credential is not a string`);
      const server: { urls: string | string[]; username?: string; credential?: string } = { urls: urls as string | string[] };
      if (username !== undefined) server.username = username;
      if (credential !== undefined) server.credential = credential;
      return server;
    });
  }
  limits(): Record<string, number> {
    const v = this.o.limits;
    if (!isObject(v)) return this.bad('limits', 'an object');
    const out: Record<string, number> = {};
    // Limits this client does not know may be of any type: only numbers are kept.
    for (const [k, n] of Object.entries(v)) if (typeof n === 'number') out[k] = n;
    return out;
  }
  peers(): LookupPeer[] {
    const v = this.o.peers;
    if (!Array.isArray(v)) return this.bad('peers', 'a list');
    return v.map((entry, i) => {
      if (!isObject(entry) || !isPeerId(entry.peer) || typeof entry.complete !== 'boolean')
        throw new BadField(`peers[${i}] is not a peer id with a complete flag`);
      return { peer: entry.peer, complete: entry.complete };
    });
  }
  metadata(): Uint8Array | undefined {
    const v = this.o.metadata;
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return this.bad('metadata', 'base64');
    const binary = atob(v);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }
  errorCode(): ServerErrorCode {
    const v = this.o.code;
    return isServerErrorCode(v) ? v : this.bad('code', 'an error code of protocol 1');
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function decodeFields(type: string, f: Fields, o: Record<string, unknown>): ServerMessage | null {
  switch (type) {
    case 'welcome': {
      const message: WelcomeMessage = {
        type,
        protocol: f.count('protocol'),
        peer: f.peerId('peer'),
        ice_servers: f.iceServers(),
        ice_transport_policy: f.policy(),
        limits: f.limits(),
      };
      const expires = f.optionalCount('ice_expires');
      return expires === undefined ? message : { ...message, ice_expires: expires };
    }
    case 'announced':
      return { type, id: f.id(), resource: f.shareId('resource'), peers: f.count('peers') };
    case 'lookup_result': {
      const message: LookupResultMessage = {
        type,
        id: f.id(),
        resource: f.shareId('resource'),
        metadata_size: f.count('metadata_size'),
        peer_count: f.count('peer_count'),
        peers: f.peers(),
      };
      const metadata = f.metadata();
      return metadata === undefined ? message : { ...message, metadata };
    }
    case 'ice_servers': {
      const message: IceServersMessage = { type, id: f.id(), ice_servers: f.iceServers(), ice_transport_policy: f.policy() };
      const expires = f.optionalCount('ice_expires');
      return expires === undefined ? message : { ...message, ice_expires: expires };
    }
    case 'left':
      return { type, id: f.id(), resource: f.shareId('resource') };
    case 'signal':
      return { type, resource: f.shareId('resource'), from: f.peerId('from'), kind: f.kind(), data: f.present('data') };
    case 'peer_joined':
      return { type, resource: f.shareId('resource'), peer: f.peerId('peer'), complete: f.boolean('complete') };
    case 'peer_left':
      return { type, resource: f.shareId('resource'), peer: f.peerId('peer') };
    case 'error': {
      const message: ErrorMessage = { type, code: f.errorCode(), message: f.string('message') };
      return o.id === undefined ? message : { ...message, id: f.id() };
    }
    default:
      return null;
  }
}

// Reads one text frame from the server.
export function decodeServerMessage(text: string): Decoded {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: new MessageDecodeError('not_json', null, null, 'a server message that is not JSON') };
  }
  if (!isObject(parsed) || typeof parsed.type !== 'string')
    return { ok: false, error: new MessageDecodeError('not_object', null, null, 'a server message that is not an object with a type') };
  const type = parsed.type;
  const id = Number.isSafeInteger(parsed.id) && (parsed.id as number) >= 0 ? (parsed.id as number) : null;
  try {
    const message = decodeFields(type, new Fields(parsed), parsed);
    if (message) return { ok: true, message };
    return { ok: false, error: new MessageDecodeError('unknown_type', type, id, `a server message of unknown type ${describe(type)}`) };
  } catch (e) {
    const why = e instanceof BadField ? e.message : String(e);
    return { ok: false, error: new MessageDecodeError('bad_field', type, id, `a malformed ${type} message: ${why}`) };
  }
}
