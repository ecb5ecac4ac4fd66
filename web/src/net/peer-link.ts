// One WebRTC connection to one peer for one share: the RTCPeerConnection, its negotiation through
// the signaling server (offer, answer and ICE candidates relayed as `signal` messages, §5.1), and
// the DataChannel `peershare/1` exposed to the swarm as a WireChannel.
import type { WireChannel } from '../engine/channel';
import { LOW_WATER } from '../engine/constants';
import { Emitter } from '../engine/emitter';
import type { PeerId, ShareId } from '../engine/ids';
import type { IceServer, IceTransportPolicy, SignalKind } from './messages';

export const DATA_CHANNEL_LABEL = 'peershare/1';
// A connection that does not open within this is given up (ICE found no path).
export const CONNECT_TIMEOUT_MS = 20_000;

export interface PeerLinkOptions {
  resource: ShareId;
  remote: PeerId; // as the server knows it
  initiator: boolean;
  iceServers: readonly IceServer[];
  iceTransportPolicy?: IceTransportPolicy;
  // The id of the link, which every signal it sends carries: the initiator makes one up, the
  // answering side takes the offer's.
  linkId?: string;
  sendSignal: (kind: SignalKind, data: unknown) => void;
}

export interface PeerLinkEvents {
  open: void;
  message: ArrayBuffer;
  // The link is gone for good; `reason` is for logs and the UI.
  closed: { reason: string };
}

export type PathType = 'direct' | 'relay' | 'unknown';

// 64 random bits in hex: tells one connection attempt between two peers from the next.
function newLinkId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export class PeerLink extends Emitter<PeerLinkEvents> implements WireChannel {
  readonly resource: ShareId;
  readonly remote: PeerId;
  readonly initiator: boolean;
  readonly linkId: string;
  private readonly pc: RTCPeerConnection;
  private channel: RTCDataChannel | null = null;
  private readonly pendingCandidates: RTCIceCandidateInit[] = [];
  private drainListeners: Array<() => void> = [];
  private connectTimer: ReturnType<typeof setTimeout> | null;
  private closedReason: string | null = null;
  private restarted = false;
  private everOpened = false;

  constructor(private readonly options: PeerLinkOptions) {
    super();
    this.resource = options.resource;
    this.remote = options.remote;
    this.initiator = options.initiator;
    this.linkId = options.linkId ?? newLinkId();
    this.pc = new RTCPeerConnection({
      iceServers: options.iceServers.map((server) => ({ ...server, urls: typeof server.urls === 'string' ? server.urls : [...server.urls] })),
      iceTransportPolicy: options.iceTransportPolicy ?? 'all',
    });
    this.pc.addEventListener('icecandidate', (e) => {
      if (e.candidate) this.signal('candidate', { candidate: e.candidate.toJSON() });
    });
    this.pc.addEventListener('connectionstatechange', () => {
      if (this.pc.connectionState === 'failed') void this.onFailed();
      if (this.pc.connectionState === 'connected' && this.connectTimer && this.isOpen) {
        clearTimeout(this.connectTimer);
        this.connectTimer = null;
      }
    });
    this.pc.addEventListener('datachannel', (e) => {
      if (e.channel.label === DATA_CHANNEL_LABEL && !this.channel) this.attach(e.channel);
    });
    this.connectTimer = setTimeout(() => this.close('no network path to the peer was found'), CONNECT_TIMEOUT_MS);
  }

  get isOpen(): boolean {
    return this.channel?.readyState === 'open';
  }

  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  // Whether the DataChannel ever opened (a link that never did found no network path).
  get opened(): boolean {
    return this.everOpened;
  }

  // An open link whose network path is down (ICE disconnected or failed, or checking again after
  // an ICE restart): WireChannel.interrupted.
  get interrupted(): boolean {
    return this.everOpened && !this.isClosed && this.pc.connectionState !== 'connected';
  }

  // ICE failed: the side that offered tries once more with fresh candidates (an ICE restart)
  // before giving the peer up; the other side answers the new offer.
  private async onFailed(): Promise<void> {
    if (this.isClosed) return;
    if (!this.initiator || this.restarted) {
      if (!this.initiator && !this.restarted) {
        this.restarted = true; // wait for the offerer's restart, but not forever
        this.armTimer('the connection failed and an ICE restart did not bring it back');
        return;
      }
      this.close('the connection failed');
      return;
    }
    this.restarted = true;
    console.info(`peershare: connection to ${this.remote.slice(0, 8)} failed; restarting ICE`);
    this.armTimer('the connection failed and an ICE restart did not bring it back');
    try {
      await this.pc.setLocalDescription(await this.pc.createOffer({ iceRestart: true }));
      this.signal('offer', { sdp: this.pc.localDescription?.toJSON() });
    } catch (e) {
      this.close(`ICE restart failed: ${String(e)}`);
    }
  }

  private armTimer(reason: string): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      if (this.pc.connectionState !== 'connected') this.close(reason);
    }, CONNECT_TIMEOUT_MS);
  }

  // The initiator creates the channel and sends the offer.
  async start(): Promise<void> {
    if (!this.initiator) return;
    this.attach(this.pc.createDataChannel(DATA_CHANNEL_LABEL, { ordered: true }));
    try {
      await this.pc.setLocalDescription(await this.pc.createOffer());
      this.signal('offer', { sdp: this.pc.localDescription?.toJSON() });
    } catch (e) {
      this.close(`could not create an offer: ${String(e)}`);
    }
  }

  async handleSignal(kind: SignalKind, data: unknown): Promise<void> {
    if (this.isClosed) return;
    const payload = (typeof data === 'object' && data !== null ? data : {}) as {
      sdp?: RTCSessionDescriptionInit;
      candidate?: RTCIceCandidateInit;
    };
    try {
      if (kind === 'offer' && payload.sdp) {
        await this.pc.setRemoteDescription(payload.sdp);
        await this.flushCandidates();
        await this.pc.setLocalDescription(await this.pc.createAnswer());
        this.signal('answer', { sdp: this.pc.localDescription?.toJSON() });
      } else if (kind === 'answer' && payload.sdp) {
        await this.pc.setRemoteDescription(payload.sdp);
        await this.flushCandidates();
      } else if (kind === 'candidate' && payload.candidate) {
        if (this.pc.remoteDescription) await this.pc.addIceCandidate(payload.candidate);
        else this.pendingCandidates.push(payload.candidate);
      }
    } catch (e) {
      this.close(`negotiation failed: ${String(e)}`);
    }
  }

  // Whether the selected candidate pair goes through a TURN relay.
  async pathType(): Promise<PathType> {
    try {
      const stats = await this.pc.getStats();
      let pairId: string | undefined;
      stats.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      });
      const pair = pairId ? (stats.get(pairId) as { localCandidateId?: string; remoteCandidateId?: string }) : undefined;
      if (!pair) return 'unknown';
      const local = stats.get(pair.localCandidateId ?? '') as { candidateType?: string } | undefined;
      const remote = stats.get(pair.remoteCandidateId ?? '') as { candidateType?: string } | undefined;
      if (local?.candidateType === 'relay' || remote?.candidateType === 'relay') return 'relay';
      return local ? 'direct' : 'unknown';
    } catch {
      return 'unknown';
    }
  }

  // --- WireChannel ---

  send(message: ArrayBuffer): void {
    if (this.channel?.readyState !== 'open') return;
    try {
      this.channel.send(message);
    } catch (e) {
      this.close(`send failed: ${String(e)}`);
    }
  }

  get maxMessageSize(): number {
    // Negotiated from both sides' SDP; 64 KiB is what every browser has carried historically.
    return this.pc.sctp?.maxMessageSize || 65536;
  }

  get bufferedAmount(): number {
    return this.channel?.bufferedAmount ?? 0;
  }

  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  close(reason = 'closed'): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.drainListeners = [];
    try {
      this.channel?.close();
      this.pc.close();
    } catch {
      // already closed
    }
    this.emit('closed', { reason });
  }

  // Relays one negotiation message, tagged with this link's id (§5.1).
  private signal(kind: SignalKind, data: Record<string, unknown>): void {
    this.options.sendSignal(kind, { ...data, link: this.linkId });
  }

  private attach(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    channel.addEventListener('open', () => {
      this.everOpened = true;
      if (this.connectTimer) clearTimeout(this.connectTimer);
      this.connectTimer = null;
      this.emit('open', undefined);
    });
    channel.addEventListener('message', (e: MessageEvent) => {
      if (e.data instanceof ArrayBuffer) this.emit('message', e.data);
    });
    channel.addEventListener('bufferedamountlow', () => {
      for (const l of this.drainListeners) l();
    });
    channel.addEventListener('close', () => this.close('the peer closed the connection'));
  }

  private async flushCandidates(): Promise<void> {
    while (this.pendingCandidates.length > 0) await this.pc.addIceCandidate(this.pendingCandidates.shift()!);
  }
}
