// The signaling connection to the peershare server (docs/protocol.md §2): one WebSocket that
// reconnects with backoff, correlates requests with replies by id, and reports server pushes.
// Each reconnect gets a new peer id from `welcome`; the owner re-announces what it holds.
import { Emitter } from '../engine/emitter';
import { SignalingError } from '../engine/errors';

// Backoff after a lost connection: doubles from the first delay up to the cap, with jitter so that
// many clients of a restarted server do not reconnect in lockstep.
export const RECONNECT_FIRST_DELAY_MS = 500;
export const RECONNECT_MAX_DELAY_MS = 15_000;
// A request the server does not answer within this is failed (the connection is probably dead).
export const REQUEST_TIMEOUT_MS = 15_000;

export interface Welcome {
  type: 'welcome';
  protocol: number;
  peer: string;
  ice_servers: RTCIceServer[];
  ice_transport_policy?: RTCIceTransportPolicy;
  ice_expires?: number; // Unix seconds when TURN credentials in ice_servers expire
  limits: Record<string, number>;
}

interface IceServers {
  ice_servers: RTCIceServer[];
  ice_transport_policy?: RTCIceTransportPolicy;
  ice_expires?: number;
}

// TURN credentials are renewed when this share of their lifetime has passed.
export const ICE_RENEW_FRACTION = 0.8;
export interface PeerEntry {
  peer: string;
  complete: boolean;
}
export interface LookupResult {
  type: 'lookup_result';
  resource: string;
  metadata?: string;
  metadata_size: number;
  peer_count: number;
  peers: PeerEntry[];
}
export interface SignalMessage {
  type: 'signal';
  resource: string;
  from: string;
  kind: 'offer' | 'answer' | 'candidate';
  data: unknown;
}
export interface PeerJoined {
  type: 'peer_joined';
  resource: string;
  peer: string;
  complete: boolean;
}
export interface PeerLeft {
  type: 'peer_left';
  resource: string;
  peer: string;
}

export type ConnectionState = 'connecting' | 'open' | 'closed';

export interface SignalingEvents {
  welcome: Welcome;
  signal: SignalMessage;
  peer_joined: PeerJoined;
  peer_left: PeerLeft;
  state: ConnectionState;
  // A server error that answered no request of ours (for example a refused relay).
  error: SignalingError;
}

interface Pending {
  resolve: (message: Record<string, unknown>) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

export interface SignalingOptions {
  url: string;
  createSocket?: (url: string) => WebSocket;
}

export class SignalingClient extends Emitter<SignalingEvents> {
  private socket: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private welcome: Welcome | null = null;
  private ice: IceServers | null = null;
  private iceTimer: ReturnType<typeof setTimeout> | null = null;
  private currentState: ConnectionState = 'closed';

  constructor(private readonly options: SignalingOptions) {
    super();
  }

  get peerId(): string | null {
    return this.welcome?.peer ?? null;
  }
  get iceServers(): RTCIceServer[] {
    return this.ice?.ice_servers ?? [];
  }
  get iceTransportPolicy(): RTCIceTransportPolicy {
    return this.ice?.ice_transport_policy ?? 'all';
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
    this.socket?.close(1000);
    this.socket = null;
    this.failPending(new SignalingError('disconnected', 'the signaling connection was closed'));
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

  // Sends a message and resolves with the server's reply to it; rejects with a SignalingError
  // carrying the server's error code.
  request<T = Record<string, unknown>>(message: Record<string, unknown>): Promise<T> {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN || !this.welcome)
      return Promise.reject(new SignalingError('disconnected', 'not connected to the server'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SignalingError('timeout', 'the server did not answer in time'));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (m: Record<string, unknown>) => void, reject, timer });
      socket.send(JSON.stringify({ ...message, id }));
    });
  }

  // Sends a message that gets no reply on success (a relayed signal); errors arrive as 'error'.
  send(message: Record<string, unknown>): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
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
      this.failPending(new SignalingError('disconnected', 'the connection to the server was lost'));
      this.setState('closed');
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const base = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_FIRST_DELAY_MS * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private onMessage(text: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return;
      message = parsed as Record<string, unknown>;
    } catch {
      return;
    }
    const id = typeof message.id === 'number' ? message.id : null;
    if (id !== null && this.pending.has(id)) {
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (message.type === 'error') p.reject(new SignalingError(String(message.code), String(message.message ?? '')));
      else p.resolve(message);
      return;
    }
    switch (message.type) {
      case 'welcome':
        this.welcome = message as unknown as Welcome;
        this.setIce(this.welcome);
        this.attempt = 0;
        this.setState('open');
        this.emit('welcome', this.welcome);
        break;
      case 'signal':
        this.emit('signal', message as unknown as SignalMessage);
        break;
      case 'peer_joined':
        this.emit('peer_joined', message as unknown as PeerJoined);
        break;
      case 'peer_left':
        this.emit('peer_left', message as unknown as PeerLeft);
        break;
      case 'error':
        this.emit('error', new SignalingError(String(message.code), String(message.message ?? '')));
        break;
    }
  }

  // Keeps the ICE servers and renews TURN credentials before they expire.
  private setIce(ice: IceServers): void {
    this.ice = ice;
    if (this.iceTimer) clearTimeout(this.iceTimer);
    this.iceTimer = null;
    if (!ice.ice_expires) return;
    const left = ice.ice_expires * 1000 - Date.now();
    this.iceTimer = setTimeout(() => {
      this.iceTimer = null;
      this.request<IceServers>({ type: 'ice' })
        .then((fresh) => this.setIce(fresh))
        .catch(() => undefined); // a reconnect brings a new welcome with fresh credentials
    }, Math.max(1000, left * ICE_RENEW_FRACTION));
  }

  private failPending(error: Error): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  private setState(state: ConnectionState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }
}
