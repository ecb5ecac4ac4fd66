// The signaling connection to the peershare server (docs/protocol.md §2): one WebSocket that
// reconnects with backoff, sends typed requests and resolves them with their typed replies, sends
// every signal with an id so that a refused relay is known, and reports the server's pushes. What
// arrives is read by the one decoder of net/messages.ts; a message it refuses is logged once per
// kind and otherwise ignored. Each reconnect gets a new peer id from `welcome`; the owner
// re-announces what it holds.
import { Emitter, type Listener } from '../engine/emitter';
import { SignalingError } from '../engine/errors';
import type { PeerId } from '../engine/ids';
import {
  decodeServerMessage,
  encodeClientMessage,
  REPLY_TYPE,
  type ClientMessage,
  type ErrorMessage,
  type IceServer,
  type IceServersMessage,
  type IceTransportPolicy,
  type MessageDecodeError,
  type MessageId,
  type PeerJoinedMessage,
  type PeerLeftMessage,
  type Requests,
  type RequestType,
  type ServerMessage,
  type SignalMessage,
  type SignalPush,
  type WelcomeMessage,
} from './messages';
import { Outstanding, type Settlement } from './outstanding';

// Backoff after a lost connection: doubles from the first delay up to the cap, with jitter so that
// many clients of a restarted server do not reconnect in lockstep.
export const RECONNECT_FIRST_DELAY_MS = 500;
export const RECONNECT_MAX_DELAY_MS = 15_000;
// A request the server does not answer within this is failed (the connection is probably dead).
export const REQUEST_TIMEOUT_MS = 15_000;
// TURN credentials are renewed when this share of their lifetime has passed.
export const ICE_RENEW_FRACTION = 0.8;

// The delay before reconnect attempt `attempt` (0 for the first): uniformly random in
// [base / 2, base], base = min(cap, first delay * 2^attempt). `random` is in [0, 1).
export function reconnectDelay(attempt: number, random: number): number {
  const base = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * 2 ** attempt);
  return base / 2 + random * (base / 2);
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

// A request as the caller writes it: the client adds the id.
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
export type RequestMessage = WithoutId<Requests[RequestType]['request']>;
export type ReplyTo<M extends RequestMessage> = Requests[M['type']]['reply'];
export type SignalRequest = Omit<SignalMessage, 'type' | 'id'>;

// What became of a signal: relayed (the server answered a later message and refused none of this
// one), refused (its error, with the server's code), or unknown (not sent while disconnected, lost
// with the connection, or no longer tracked).
export type SignalOutcome =
  | { readonly status: 'relayed' }
  | { readonly status: 'refused'; readonly error: SignalingError }
  | { readonly status: 'unknown' };

export interface SignalingEvents {
  welcome: WelcomeMessage;
  signal: SignalPush;
  peer_joined: PeerJoinedMessage;
  peer_left: PeerLeftMessage;
  state: ConnectionState;
  // An error that answers no message of ours (one that carries no id: the server could not read
  // the message, or dropped it unread, as when rate limited).
  error: SignalingError;
}

// What the rest of the client needs of the connection (tests give it a fake).
export interface SignalingPort {
  readonly state: ConnectionState;
  readonly peerId: PeerId | null;
  readonly iceServers: readonly IceServer[];
  readonly iceTransportPolicy: IceTransportPolicy;
  // Resolves with the reply; rejects with a SignalingError: the server's code, or disconnected,
  // timeout, bad_reply.
  request<M extends RequestMessage>(message: M): Promise<ReplyTo<M>>;
  signal(message: SignalRequest): Promise<SignalOutcome>;
}

export interface Signaling extends SignalingPort {
  on<K extends keyof SignalingEvents>(type: K, listener: Listener<SignalingEvents[K]>): () => void;
  start(): void;
  stop(): void;
  reconnectNow(): void;
}

export interface SignalingOptions {
  url: string;
  createSocket?: (url: string) => WebSocket;
}

export class SignalingClient extends Emitter<SignalingEvents> implements Signaling {
  private socket: WebSocket | null = null;
  private nextId: MessageId = 1;
  private readonly outstanding = new Outstanding();
  // Errors without an id so far: a request passed over after one of them was dropped for its reason.
  private idless: { count: number; last: ErrorMessage | null } = { count: 0, last: null };
  // Kinds of undecodable messages already logged (each is logged once).
  private readonly malformedSeen = new Set<string>();
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private welcome: WelcomeMessage | null = null;
  private ice: { servers: readonly IceServer[]; policy: IceTransportPolicy } | null = null;
  private iceTimer: ReturnType<typeof setTimeout> | null = null;
  private currentState: ConnectionState = 'closed';

  constructor(private readonly options: SignalingOptions) {
    super();
  }

  get peerId(): PeerId | null {
    return this.welcome?.peer ?? null;
  }
  get iceServers(): readonly IceServer[] {
    return this.ice?.servers ?? [];
  }
  get iceTransportPolicy(): IceTransportPolicy {
    return this.ice?.policy ?? 'all';
  }
  get state(): ConnectionState {
    return this.currentState;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.iceTimer) clearTimeout(this.iceTimer);
    this.iceTimer = null;
    this.socket?.close(1000);
    this.socket = null;
    this.welcome = null;
    this.outstanding.lose();
    this.setState('closed');
  }

  // Reconnects now instead of waiting for the backoff (for a "refresh" action).
  reconnectNow(): void {
    if (this.stopped) return;
    if (this.currentState === 'open') return;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.attempt = 0;
    this.connect();
  }

  request<M extends RequestMessage>(message: M): Promise<ReplyTo<M>> {
    const socket = this.openSocket();
    if (!socket) return Promise.reject(new SignalingError('disconnected', 'not connected to the server'));
    const id = this.nextId++;
    const idlessBefore = this.idless.count;
    const expected = REPLY_TYPE[message.type];
    return new Promise<ReplyTo<M>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.outstanding.remove(id);
        // The server answers every request it reads: one left unanswered after an error without
        // an id (rate limited) was most likely the message that error refused.
        if (this.idless.count > idlessBefore && this.idless.last) reject(new SignalingError(this.idless.last.code, this.idless.last.message));
        else reject(new SignalingError('timeout', 'the server did not answer in time'));
      }, REQUEST_TIMEOUT_MS);
      this.outstanding.add(id, {
        kind: 'request',
        settle: (s: Settlement) => {
          clearTimeout(timer);
          if (s.kind === 'answered' && s.message.type === 'error') reject(new SignalingError(s.message.code, s.message.message));
          else if (s.kind === 'answered' && s.message.type === expected) resolve(s.message as ReplyTo<M>);
          else if (s.kind === 'answered') reject(new SignalingError('bad_reply', `a ${message.type} was answered with ${s.message.type}`));
          else if (s.kind === 'passed' && this.idless.count > idlessBefore && this.idless.last)
            reject(new SignalingError(this.idless.last.code, this.idless.last.message));
          else if (s.kind === 'passed') reject(new SignalingError('bad_reply', `the server answered later messages, not this ${message.type}`));
          else if (s.kind === 'lost') reject(new SignalingError('disconnected', 'the connection to the server was lost'));
          else reject(new SignalingError('bad_reply', `the reply to a ${message.type} could not be read`));
        },
      });
      this.write(socket, { ...message, id } as ClientMessage);
    });
  }

  signal(message: SignalRequest): Promise<SignalOutcome> {
    const socket = this.openSocket();
    if (!socket) return Promise.resolve({ status: 'unknown' });
    const id = this.nextId++;
    return new Promise<SignalOutcome>((resolve) => {
      this.outstanding.add(id, {
        kind: 'signal',
        settle: (s: Settlement) => {
          if (s.kind === 'answered' && s.message.type === 'error')
            resolve({ status: 'refused', error: new SignalingError(s.message.code, s.message.message) });
          else if (s.kind === 'passed' || s.kind === 'answered') resolve({ status: 'relayed' });
          else resolve({ status: 'unknown' });
        },
      });
      this.write(socket, { type: 'signal', ...message, id });
    });
  }

  private openSocket(): WebSocket | null {
    const socket = this.socket;
    return socket && socket.readyState === WebSocket.OPEN && this.welcome ? socket : null;
  }

  private write(socket: WebSocket, message: ClientMessage): void {
    socket.send(encodeClientMessage(message));
  }

  private connect(): void {
    this.setState('connecting');
    const create = this.options.createSocket ?? ((url: string) => new WebSocket(url));
    let socket: WebSocket;
    try {
      socket = create(this.options.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener('message', (event: MessageEvent) => {
      if (socket !== this.socket || typeof event.data !== 'string') return;
      this.onMessage(event.data);
    });
    socket.addEventListener('close', () => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.welcome = null;
      this.outstanding.lose();
      this.setState('closed');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = reconnectDelay(this.attempt, Math.random());
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private onMessage(text: string): void {
    const decoded = decodeServerMessage(text);
    if (!decoded.ok) {
      this.reportMalformed(decoded.error);
      if (decoded.error.id !== null) this.outstanding.answered(decoded.error.id, null);
      return;
    }
    const message: ServerMessage = decoded.message;
    if ('id' in message && message.id !== undefined) {
      this.outstanding.answered(message.id, message);
      return;
    }
    switch (message.type) {
      case 'welcome':
        this.welcome = message;
        this.setIce(message);
        this.attempt = 0;
        this.idless = { count: 0, last: null };
        this.setState('open');
        this.emit('welcome', message);
        return;
      case 'signal':
        this.emit('signal', message);
        return;
      case 'peer_joined':
        this.emit('peer_joined', message);
        return;
      case 'peer_left':
        this.emit('peer_left', message);
        return;
      case 'error':
        this.idless = { count: this.idless.count + 1, last: message };
        this.emit('error', new SignalingError(message.code, message.message));
        return;
    }
  }

  private reportMalformed(error: MessageDecodeError): void {
    const kind = `${error.code}:${error.messageType ?? ''}`;
    if (this.malformedSeen.has(kind)) return;
    this.malformedSeen.add(kind);
    console.warn(`peershare: ignoring a message from the server (further ones like it are not logged): ${error.message}`);
  }

  // Keeps the ICE servers and renews TURN credentials before they expire.
  private setIce(ice: WelcomeMessage | IceServersMessage): void {
    this.ice = { servers: ice.ice_servers, policy: ice.ice_transport_policy };
    if (this.iceTimer) clearTimeout(this.iceTimer);
    this.iceTimer = null;
    if (!ice.ice_expires) return;
    const left = ice.ice_expires * 1000 - Date.now();
    this.iceTimer = setTimeout(() => {
      this.iceTimer = null;
      this.request({ type: 'ice' })
        .then((fresh) => this.setIce(fresh))
        .catch(() => undefined); // a reconnect brings a new welcome with fresh credentials
    }, Math.max(1000, left * ICE_RENEW_FRACTION));
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }
}
