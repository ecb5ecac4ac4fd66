// Page entry point: creates the client (signaling, storage, engine) and the view, and starts them.
import './styles.css';
import { PeershareClient } from './app/client';
import { SignalingClient } from './net/signaling-client';
import { signalingUrl } from './net/signaling-url';
import { opfsStorage } from './storage/opfs-store';
import { uploadCapSetting, View } from './ui/view';

// Test-only switch: a holder that corrupts what it uploads. Set only by the end-to-end tests
// through localStorage; the UI has no control for it.
const corruptUploads = localStorage.getItem('peershare.test.corruptUploads') === '1';

const signaling = new SignalingClient({ url: signalingUrl(window.location) });
const client = new PeershareClient({
  signaling,
  storage: opfsStorage(),
  uploadCapBytesPerSecond: uploadCapSetting,
  corruptUploads,
});
const view = new View(client);
view.mount();
void client.start().then(() => view.openFromHash());
// For tests and debugging from the console.
(window as unknown as { peershare: unknown }).peershare = { client, view };
