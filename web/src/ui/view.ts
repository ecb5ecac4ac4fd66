// The page: binds the static markup of index.html to the client. It renders the Downloads and My
// files lists (one keyed row per share, updated in place from the client's snapshots), the share
// link with its QR code, the connection status and notices (ui/wording.ts has the words), and
// turns clicks into client actions.
import type { PeershareClient, ServerNotice, ShareEntry } from '../app/client';
import { filesFromHandles, type ReadableHandle } from '../app/file-handles';
import { MIN_UPLOAD_CAP_BYTES } from '../engine/constants';
import { formatBytes, formatEta, formatSpeed } from './format';
import { qrSvg } from './qr';
import { connectionText, describeBlocked, describeError, noticeText, problemLines, stateText } from './wording';

const UPLOAD_CAP_KEY = 'peershare.uploadCapKiB';

// The parts of the File System Access API the page uses, where the browser has them.
type PickerWindow = Window & { showOpenFilePicker?: (options: { multiple: boolean }) => Promise<ReadableHandle[]> };
type DropItem = DataTransferItem & { getAsFileSystemHandle?: () => Promise<ReadableHandle | null> };
// The page redraws at most this often: a transfer changes its row with every block, and redrawing
// at every frame (60 a second) took CPU from the transfer itself: in the single-source benchmark
// the browsers, which share the machine's cores, moved data about 10% faster with the lists drawn
// five times a second (bench/RESULTS.md). After a quiet spell the next change is drawn at once.
export const REDRAW_INTERVAL_MS = 200;

// The lowest upload limit the engine applies (see MIN_UPLOAD_CAP_BYTES).
export const MIN_UPLOAD_CAP_KIB = MIN_UPLOAD_CAP_BYTES / 1024;

export function uploadCapSetting(): number | null {
  const raw = localStorage.getItem(UPLOAD_CAP_KEY);
  const kib = raw ? Number(raw) : NaN;
  return Number.isFinite(kib) && kib > 0 ? Math.max(kib, MIN_UPLOAD_CAP_KIB) * 1024 : null;
}

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page lacks #${id}`);
  return el;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

interface Row {
  li: HTMLLIElement;
  name: HTMLElement;
  detail: HTMLElement;
  progress: HTMLProgressElement;
  actions: HTMLElement;
  actionKey: string;
  // The snapshot last drawn: an unchanged share is not drawn again.
  drawn: ShareEntry | null;
}

export class View {
  private readonly rows = new Map<string, Row>();
  private scheduled = false;
  private lastRender = -Infinity;
  private lastShared: string | null = null;
  private lastNotice: ServerNotice | null = null;

  constructor(private readonly client: PeershareClient) {}

  mount(): void {
    const fileInput = $('file-input') as HTMLInputElement;
    fileInput.addEventListener('change', () => {
      const files = [...(fileInput.files ?? [])];
      fileInput.value = '';
      if (files.length > 0) void this.share(files);
    });
    const drop = $('drop-zone');
    // Where the browser has the File System Access picker, it is used instead of the input, so the
    // share keeps handles to its files for after a reload (app/file-handles.ts).
    drop.addEventListener('click', (e) => {
      const picker = (window as PickerWindow).showOpenFilePicker;
      if (!picker) return;
      e.preventDefault(); // on the label or the input itself: the input's own dialog stays closed
      void this.pickWithHandles(picker);
    });
    drop.addEventListener('dragover', (e) => {
      e.preventDefault();
      drop.classList.add('dragging');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('dragging'));
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      drop.classList.remove('dragging');
      const files = [...(e.dataTransfer?.files ?? [])];
      // Handles must be asked for while the event is handled; the files are used without them
      // when the browser gives none (or a dropped item is a folder).
      const handles = [...(e.dataTransfer?.items ?? [])]
        .filter((item) => item.kind === 'file')
        .map((item) => (item as DropItem).getAsFileSystemHandle?.() ?? Promise.resolve(null));
      if (files.length > 0) void this.shareDropped(files, handles);
    });
    $('copy-link').addEventListener('click', () => {
      const input = $('share-link') as HTMLInputElement;
      void navigator.clipboard?.writeText(input.value).catch(() => input.select());
    });
    $('get-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $('get-input') as HTMLInputElement;
      const id = parseLink(input.value);
      if (!id) {
        this.notice('That is not a peershare link or id.');
        return;
      }
      input.value = '';
      void this.client.download(id);
    });
    const cap = $('upload-cap') as HTMLInputElement;
    const saved = localStorage.getItem(UPLOAD_CAP_KEY);
    if (saved) cap.value = saved;
    cap.addEventListener('change', () => {
      if (cap.value && Number(cap.value) > 0) localStorage.setItem(UPLOAD_CAP_KEY, String(Number(cap.value)));
      else localStorage.removeItem(UPLOAD_CAP_KEY);
    });
    window.addEventListener('hashchange', () => this.openFromHash());
    this.client.on('change', () => this.schedule());
    this.render();
  }

  openFromHash(): void {
    const id = parseLink(location.hash);
    if (id) void this.client.download(id);
  }

  private async pickWithHandles(picker: NonNullable<PickerWindow['showOpenFilePicker']>): Promise<void> {
    let handles: ReadableHandle[];
    try {
      handles = await picker({ multiple: true });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return; // the person closed the picker
      this.notice(describeError(e));
      return;
    }
    const result = await filesFromHandles(handles, { ask: false });
    if ('files' in result) await this.share(result.files, handles);
    else this.notice(describeBlocked(result.blocked));
  }

  private async shareDropped(files: File[], pending: Array<Promise<ReadableHandle | null>>): Promise<void> {
    const handles = await Promise.all(pending).catch(() => []);
    const usable = handles.length === files.length && handles.every((h, i) => h?.kind === 'file' && h.name === files[i].name);
    await this.share(files, usable ? (handles as ReadableHandle[]) : undefined);
  }

  private async share(files: File[], handles?: ReadableHandle[]): Promise<void> {
    try {
      const id = await this.client.shareFiles(files, handles);
      this.showLink(id);
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') return;
      this.notice(describeError(e));
    }
  }

  private showLink(id: string): void {
    this.lastShared = id;
    const link = this.client.shareLink(id);
    ($('share-link') as HTMLInputElement).value = link;
    const qr = $('share-qr');
    qr.replaceChildren(qrSvg(link));
    $('share-result').hidden = false;
  }

  notice(text: string | null): void {
    const n = $('notice');
    n.textContent = text ?? '';
    n.hidden = !text;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const wait = Math.max(0, this.lastRender + REDRAW_INTERVAL_MS - performance.now());
    setTimeout(
      () =>
        requestAnimationFrame(() => {
          this.scheduled = false;
          this.render();
        }),
      wait,
    );
  }

  private render(): void {
    this.lastRender = performance.now();
    const status = $('status');
    const state = this.client.connection;
    status.dataset.state = state;
    status.textContent = connectionText(state);
    const notice = this.client.notice;
    if (notice !== this.lastNotice) {
      this.lastNotice = notice;
      if (notice) this.notice(noticeText(notice));
    }

    const downloads = $('downloads');
    const mine = $('my-files');
    const seen = new Set<string>();
    for (const e of this.client.entries()) {
      seen.add(e.key);
      const inDownloads = e.kind === 'download' && e.state !== 'seeding';
      const list = inDownloads ? downloads : mine;
      let row = this.rows.get(e.key);
      if (!row) {
        row = this.createRow(e.key);
        this.rows.set(e.key, row);
      }
      if (row.li.parentElement !== list) list.prepend(row.li);
      if (row.drawn !== e) this.updateRow(row, e, inDownloads);
      row.drawn = e;
    }
    for (const [id, row] of this.rows) {
      if (seen.has(id)) continue;
      row.li.remove();
      this.rows.delete(id);
      if (id === this.lastShared) $('share-result').hidden = true;
    }
    for (const list of [downloads, mine]) {
      const empty = document.querySelector<HTMLElement>(`[data-empty-for="${list.id}"]`);
      if (empty) empty.hidden = list.children.length > 0;
    }
  }

  private createRow(key: string): Row {
    const li = el('li', 'row');
    li.dataset.resource = key;
    li.dataset.testid = 'share-row';
    const name = el('div', 'row-name');
    const detail = el('div', 'row-detail');
    detail.dataset.testid = 'row-detail';
    const progress = el('progress', 'row-progress');
    progress.max = 1;
    const actions = el('div', 'row-actions');
    li.append(name, progress, detail, actions);
    return { li, name, detail, progress, actions, actionKey: '', drawn: null };
  }

  private updateRow(row: Row, e: ShareEntry, inDownloads: boolean): void {
    row.li.dataset.state = e.state;
    row.li.dataset.kind = e.kind;
    row.li.dataset.havePieces = String(e.havePieces);
    row.li.dataset.pieces = String(e.pieces);
    row.li.dataset.uploaded = String(e.uploaded);
    row.li.dataset.peers = String(e.peers);
    row.li.dataset.relayed = String(e.relayed);
    row.li.dataset.downloaded = String(e.downloaded);
    row.li.dataset.dropped = e.dropped.join('\n');
    row.name.textContent = e.name;
    row.name.title = e.name;

    const fraction = e.state === 'hashing' ? e.hashProgress : e.pieces > 0 ? e.havePieces / e.pieces : 0;
    row.progress.value = fraction;
    row.progress.hidden = !(inDownloads || e.state === 'hashing');

    const parts: string[] = [];
    if (inDownloads && e.pieces === 0 && (e.state === 'looking' || e.state === 'failed')) {
      // Nothing is known of the share yet: no sizes or peers to show.
    } else if (inDownloads) {
      const done = Math.min(e.size, Math.round(fraction * e.size));
      parts.push(`${formatBytes(done)} of ${formatBytes(e.size)}`);
      if (e.state === 'downloading') {
        parts.push(formatSpeed(e.downSpeed));
        parts.push(e.downSpeed > 0 ? `${formatEta((e.size - done) / e.downSpeed)} left` : '');
      }
      parts.push(`${e.peers} ${e.peers === 1 ? 'peer' : 'peers'}${e.relayed > 0 ? ` (${e.relayed} relayed)` : e.peers > 0 ? ' (direct)' : ''}`);
    } else {
      parts.push(formatBytes(e.size));
      if (e.state === 'seeding') {
        parts.push(`${e.peers} ${e.peers === 1 ? 'peer' : 'peers'} connected${e.relayed > 0 ? ` (${e.relayed} relayed)` : ''}`);
        parts.push(`${formatBytes(e.uploaded)} uploaded`);
      }
    }
    parts.push(stateText(e));
    // What went wrong, each on a line of its own below the figures.
    const status = el('span', 'row-status', parts.filter(Boolean).join(' · '));
    row.detail.replaceChildren(status, ...problemLines(e).map((text) => el('span', 'row-problem', text)));

    const key = `${inDownloads}:${e.state}:${e.kind}:${e.storedFiles}`;
    if (key === row.actionKey) return;
    row.actionKey = key;
    const buttons: HTMLElement[] = [];
    const button = (label: string, action: string, run: () => void): void => {
      const b = el('button', undefined, label);
      b.type = 'button';
      b.dataset.action = action;
      b.addEventListener('click', run);
      buttons.push(b);
    };
    const id = e.key;
    if (inDownloads) {
      if (e.state === 'paused') button('Resume', 'resume', () => this.client.resume(id));
      else if (e.state !== 'failed') button('Pause', 'pause', () => this.client.pause(id));
      button('Refresh', 'refresh', () => this.client.refresh(id));
      button('Abort', 'abort', () => this.forget(id));
    } else {
      if (e.state === 'seeding' || e.state === 'needs-files')
        button('Copy link', 'copy', () => void navigator.clipboard?.writeText(this.client.shareLink(id)).catch(() => undefined));
      if (e.kind === 'download' && e.state === 'seeding') button('Save', 'save', () => void this.save(id));
      if (e.state === 'needs-files' && e.storedFiles) button('Share again', 'reshare-stored', () => void this.client.shareStoredFiles(id));
      if (e.state === 'needs-files') {
        const label = el('label', 'button-like', e.storedFiles ? 'Pick the files…' : 'Share again…');
        const input = el('input');
        input.type = 'file';
        input.multiple = true;
        input.dataset.action = 'reshare';
        input.addEventListener('change', () => {
          const files = [...(input.files ?? [])];
          if (files.length > 0) void this.client.reshareFiles(id, files);
        });
        label.append(input);
        buttons.push(label);
      }
      button('Remove', 'remove', () => this.forget(id));
    }
    row.actions.replaceChildren(...buttons);
  }

  // Removes a share; a link to it in the address bar goes too, or a reload would start it again.
  private forget(id: string): void {
    if (parseLink(location.hash) === id) history.replaceState(null, '', location.pathname + location.search);
    void this.client.remove(id);
  }

  // Saves each file of the share from browser storage, streaming from disk (no memory copy).
  private async save(resource: string): Promise<void> {
    try {
      const files = await this.client.files(resource);
      for (const { path, blob } of files) {
        const url = URL.createObjectURL(blob);
        const a = el('a');
        a.href = url;
        a.download = path.split('/').join('_');
        document.body.append(a);
        a.click();
        a.remove();
        // The browser has started reading the Blob; revoke later so the URL does not linger.
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      }
    } catch (e) {
      this.notice(describeError(e));
    }
  }
}

// The share id from a link ("https://host/#<id>"), a hash ("#<id>") or a bare id.
export function parseLink(text: string): string | null {
  const match = /(?:^|#|\/)([0-9a-f]{64})\s*$/i.exec(text.trim());
  return match ? match[1].toLowerCase() : null;
}
