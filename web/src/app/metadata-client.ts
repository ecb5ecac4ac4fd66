// A share's metadata and swarm on the server: lookup (metadata inline, or over HTTP when too large
// for a signaling frame), verification of the metadata against the share id, upload (PUT), and
// announce with its one retry after uploading the metadata the server asked for
// (metadata_required). Failures are typed: SignalingError for signaling, ApiError for HTTP,
// MetadataError for metadata that does not match the id.
import { ApiError, isServerErrorCode, SignalingError } from '../engine/errors';
import type { ShareId } from '../engine/ids';
import { verifyMetadata, type ShareMetadata } from '../engine/metadata';
import type { AnnouncedMessage, LookupPeer, LookupResultMessage } from '../net/messages';
import type { SignalingPort } from '../net/signaling-client';

export interface MetadataClientOptions {
  readonly signaling: Pick<SignalingPort, 'state' | 'request'>;
  readonly fetch: typeof fetch;
  // Origin of the HTTP API; '' for the page's own.
  readonly apiBase: string;
}

export interface FetchedShare {
  readonly bytes: Uint8Array;
  readonly meta: ShareMetadata;
  // The holders the lookup listed; null when the metadata came over HTTP only (not connected).
  readonly peers: readonly LookupPeer[] | null;
}

export class MetadataClient {
  constructor(private readonly options: MetadataClientOptions) {}

  // The share's metadata, checked against its id.
  async fetch(resource: ShareId): Promise<FetchedShare> {
    let lookup: LookupResultMessage | null = null;
    if (this.options.signaling.state === 'open') lookup = await this.lookup(resource);
    const bytes = lookup?.metadata ?? (await this.get(resource));
    return { bytes, meta: await verifyMetadata(bytes, resource), peers: lookup?.peers ?? null };
  }

  lookup(resource: ShareId): Promise<LookupResultMessage> {
    return this.options.signaling.request({ type: 'lookup', resource });
  }

  // Joins the share's swarm (complete or not). When the server does not know the share yet it
  // answers metadata_required: the metadata is uploaded and the announce sent once more.
  async announce(resource: ShareId, complete: boolean, metadata: Uint8Array | null): Promise<AnnouncedMessage> {
    const message = { type: 'announce', resource, complete } as const;
    try {
      return await this.options.signaling.request(message);
    } catch (e) {
      if (!(e instanceof SignalingError && e.code === 'metadata_required' && metadata)) throw e;
      await this.upload(resource, metadata);
      return this.options.signaling.request(message);
    }
  }

  async upload(resource: ShareId, bytes: Uint8Array): Promise<void> {
    await this.http(resource, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes as Uint8Array<ArrayBuffer>,
    });
  }

  private async get(resource: ShareId): Promise<Uint8Array> {
    return new Uint8Array(await (await this.http(resource, {})).arrayBuffer());
  }

  private async http(resource: ShareId, init: RequestInit): Promise<Response> {
    let response: Response;
    try {
      response = await this.options.fetch(`${this.options.apiBase}/api/resources/${resource}/metadata`, init);
    } catch (e) {
      throw new ApiError('http_failed', null, `the server could not be reached: ${String(e)}`, { cause: e });
    }
    if (response.ok) return response;
    // The API's errors are {"error":{"code","message"}} (docs/protocol.md §3); a proxy's may not be.
    const body: unknown = await response.json().catch(() => null);
    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = isServerErrorCode(error?.code) ? error.code : response.status === 404 ? 'not_found' : 'http_failed';
    const text = typeof error?.message === 'string' ? error.message : `the server answered ${response.status}`;
    throw new ApiError(code, response.status, text);
  }
}
