// Runs WebTorrent's bittorrent-tracker as a WebSocket-only tracker on loopback: the baseline of
// bench/load.bench.mjs. Prints `listening on PORT` once it accepts connections; stops on SIGTERM.
//   node bench/baseline/bittorrent-tracker.mjs [port]
import Server from 'bittorrent-tracker/server'; // the server alone: the package's index loads the WebRTC client

const server = new Server({ udp: false, http: false, ws: true, stats: false });
server.on('error', (error) => {
  process.stderr.write(`bittorrent-tracker: ${error.message}\n`);
  process.exit(1);
});
server.on('warning', () => {}); // refusals are answered to the client; nothing to log per message
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.http.address().port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
