// Page entry point: creates the client (signaling, storage, library, links, engine) and the view,
// and starts them.
import './styles.css';
import { PeershareClient } from './app/client';
import { browserLibraryBackends } from './app/library-backends';
import { ShareLibrary } from './app/share-library';
import { PeerLink } from './net/peer-link';
import { SignalingClient } from './net/signaling-client';
import { signalingUrl } from './net/signaling-url';
import { hashFiles } from './storage/hashing';
import { opfsStorage } from './storage/opfs-store';
import { uploadCapSetting, View } from './ui/view';

// Test-only switch: a holder that corrupts what it uploads. Set only by the end-to-end tests
// through localStorage; the UI has no control for it.
const corruptUploads = localStorage.getItem('peershare.test.corruptUploads') === '1';

const signaling = new SignalingClient({ url: signalingUrl(window.location) });
const storage = opfsStorage();
const client = new PeershareClient({
  signaling,
  storage,
  library: new ShareLibrary(browserLibraryBackends(storage)),
  links: (spec) => new PeerLink({ ...spec, iceServers: signaling.iceServers, iceTransportPolicy: signaling.iceTransportPolicy }),
  hash: hashFiles,
  fetch: (input, init) => fetch(input, init),
  uploadCapBytesPerSecond: uploadCapSetting,
  corruptUploads,
});
const view = new View(client);
view.mount();
void client.start().then(() => view.openFromHash());
// For tests and debugging from the console.
(window as unknown as { peershare: unknown }).peershare = { client, view };
