// Page entry point: wires the status line to the signaling WebSocket.
import './styles.css';
import { signalingUrl, welcomePeerId } from './signaling';

type Status = 'connecting' | 'connected' | 'disconnected';

const statusLine = document.getElementById('status');

function setStatus(state: Status, text: string): void {
  if (!statusLine) return;
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function connect(): void {
  setStatus('connecting', 'Connecting to server…');
  const socket = new WebSocket(signalingUrl(window.location));
  let welcomed = false;

  socket.addEventListener('message', (event: MessageEvent) => {
    if (welcomed || typeof event.data !== 'string') return;
    const peer = welcomePeerId(event.data);
    if (peer === null) return;
    welcomed = true;
    setStatus('connected', `Connected — your peer id is ${peer}`);
  });

  socket.addEventListener('close', () => {
    setStatus('disconnected', 'Disconnected from server');
  });
}

connect();
