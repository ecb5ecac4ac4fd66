// Owned by the raw DataChannel baseline (bench/raw-datachannel/): plain browser JS, no framework, no
// build step. Given ?role=sender|receiver&room=X it joins one peershare swarm through the server's
// /ws signaling (docs/protocol.md §2), negotiates one RTCPeerConnection with one DataChannel, and
// the sender pushes N bytes in 64 KiB messages paced by bufferedamountlow; the receiver counts them
// and reports the elapsed time. This is the ceiling the peershare engine's throughput is compared to.
//
// URL parameters:
//   role   sender | receiver                      (required)
//   room   any text; both sides of one run use the same room (default "default")
//   bytes  bytes the sender sends (sender only; default 100000000)
//   msg    message size in bytes (sender only; default 65536)
//   low    bufferedAmountLowThreshold (sender only; default 262144)
//   high   the sender sends while bufferedAmount is below this (default 1048576)
//   ws     signaling URL (default ws[s]://<this host>/ws)
//   verify 1: both sides hash what they sent and received (costs receive time; for checks, not
//          for measurements)
//
// Results are in window.__raw (and mirrored in the DOM): state is one of starting, signaling,
// connecting, open, sending, receiving, sent, done, error. When state is "done":
//   receiver: bytes, messages, elapsedMs (from the sender's "start" message to the last byte), mbps
//             (MB = 10^6 B); with verify, digest: SHA-256 over the SHA-256 of each message received
//   sender:   the same numbers as reported back by the receiver, plus senderElapsedMs (start sent to
//             "done" received, one extra round trip), sentBytes, sentMessages and, with verify,
//             digest: the same digest over the messages sent.
// Both sides also fill connectMs (page start to channel open) and candidate (the selected pair).
(function () {
  'use strict';

  const KiB = 1024;
  const params = new URLSearchParams(location.search);
  const LOW_WATER = Number(params.get('low') || 256 * KiB); // bufferedAmountLowThreshold
  const HIGH_WATER = Number(params.get('high') || 1024 * KiB); // send while bufferedAmount is below this
  const role = params.get('role');
  const room = params.get('room') || 'default';
  const totalBytes = Number(params.get('bytes') || 100e6);
  const msgSize = Number(params.get('msg') || 64 * KiB);
  const wsUrl = params.get('ws') || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const verify = params.get('verify') === '1';

  const t0Page = performance.now();
  const R = (window.__raw = {
    role,
    room,
    state: 'starting',
    resource: null,
    self: null,
    remote: null,
    bytes: 0,
    messages: 0,
    sentBytes: 0,
    sentMessages: 0,
    digest: null,
    expectedBytes: role === 'sender' ? totalBytes : null,
    elapsedMs: null,
    senderElapsedMs: null,
    mbps: null,
    connectMs: null,
    candidate: null,
    error: null,
    log: [],
  });

  const $ = (id) => document.getElementById(id);
  function log(text) {
    const line = `${((performance.now() - t0Page) / 1000).toFixed(3)}s ${text}`;
    R.log.push(line);
    if (R.log.length > 200) R.log.shift();
    $('log').textContent = R.log.join('\n');
  }
  function setState(s) {
    R.state = s;
    $('state').textContent = s;
    log(`state ${s}`);
  }
  function showBytes() {
    $('bytes').textContent = String(R.bytes);
  }
  function fail(err) {
    if (R.state === 'error' || R.state === 'done') return;
    R.error = String((err && err.stack) || err);
    log(`error: ${R.error}`);
    setState('error');
  }
  window.addEventListener('error', (e) => fail(e.error || e.message));
  window.addEventListener('unhandledrejection', (e) => fail(e.reason));

  // ---------------------------------------------------------------------------------------------
  // A tiny valid share (docs/protocol.md §1.1) derived from the room, so both sides compute the
  // same resource id without the server being told anything beforehand.

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }
  // SHA-256 over the concatenated SHA-256 digests of a sequence of messages, as hex.
  async function digestOfDigests(digests) {
    const all = new Uint8Array(digests.length * 32);
    digests.forEach((d, i) => all.set(d, i * 32));
    return hex(await sha256(all));
  }
  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  async function buildShare(roomName) {
    const enc = new TextEncoder();
    const safe = roomName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
    const name = enc.encode(`raw-bench-${safe}`);
    const path = enc.encode('raw.bin');
    const size = 1000; // one short piece
    const pieceSize = 256 * KiB; // §1.2 rule for anything up to 8 GiB
    const pieceHash = await sha256(enc.encode(`raw-bench/${roomName}`)); // made up; the server cannot tell
    const len = 4 + 4 + 2 + name.length + 4 + 2 + path.length + 8 + 4 + 32;
    const buf = new Uint8Array(len);
    const dv = new DataView(buf.buffer);
    let o = 0;
    buf.set(enc.encode('PSH1'), o);
    o += 4;
    dv.setUint32(o, pieceSize);
    o += 4;
    dv.setUint16(o, name.length);
    o += 2;
    buf.set(name, o);
    o += name.length;
    dv.setUint32(o, 1); // file_count
    o += 4;
    dv.setUint16(o, path.length);
    o += 2;
    buf.set(path, o);
    o += path.length;
    dv.setBigUint64(o, BigInt(size));
    o += 8;
    dv.setUint32(o, 1); // piece_count
    o += 4;
    buf.set(pieceHash, o);
    o += 32;
    if (o !== len) throw new Error('metadata length mismatch');
    const id = hex(await sha256(buf));
    let bin = '';
    for (const b of buf) bin += String.fromCharCode(b);
    return { id, base64: btoa(bin) };
  }

  // ---------------------------------------------------------------------------------------------
  // Signaling

  let ws;
  let nextId = 1;
  let pc;
  let dc;
  let localDescriptionSent = false;
  const pendingLocalCandidates = [];
  const pendingRemoteCandidates = [];
  let iceServers = [];

  function send(msg) {
    ws.send(JSON.stringify(msg));
  }
  function sendSignal(kind, data) {
    send({ type: 'signal', id: nextId++, resource: R.resource, to: R.remote, kind, data });
  }
  function sendCandidate(c) {
    if (localDescriptionSent) sendSignal('candidate', c);
    else pendingLocalCandidates.push(c);
  }
  function flushLocalCandidates() {
    localDescriptionSent = true;
    for (const c of pendingLocalCandidates.splice(0)) sendSignal('candidate', c);
  }
  async function addRemoteCandidate(c) {
    if (pc && pc.remoteDescription) await pc.addIceCandidate(c);
    else pendingRemoteCandidates.push(c);
  }
  async function flushRemoteCandidates() {
    for (const c of pendingRemoteCandidates.splice(0)) await pc.addIceCandidate(c);
  }

  function newPeerConnection() {
    pc = new RTCPeerConnection({ iceServers });
    pc.onicecandidate = (e) => {
      if (e.candidate) sendCandidate(e.candidate.toJSON());
    };
    pc.onconnectionstatechange = () => {
      log(`connection ${pc.connectionState}`);
      if (pc.connectionState === 'failed') fail(new Error('peer connection failed'));
    };
    return pc;
  }

  async function startAsSender() {
    if (pc) return;
    log(`offering to ${R.remote}`);
    setState('connecting');
    newPeerConnection();
    dc = pc.createDataChannel('raw', { ordered: true });
    wireSender(dc);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    sendSignal('offer', { type: offer.type, sdp: offer.sdp });
    flushLocalCandidates();
  }

  async function onSignal(m) {
    if (m.resource !== R.resource) return;
    if (role === 'receiver' && m.kind === 'offer' && !pc) {
      R.remote = m.from;
      setState('connecting');
      newPeerConnection();
      pc.ondatachannel = (e) => {
        dc = e.channel;
        wireReceiver(dc);
      };
      await pc.setRemoteDescription(m.data);
      await flushRemoteCandidates();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      sendSignal('answer', { type: answer.type, sdp: answer.sdp });
      flushLocalCandidates();
      return;
    }
    if (m.from !== R.remote) return;
    if (m.kind === 'answer' && role === 'sender') {
      await pc.setRemoteDescription(m.data);
      await flushRemoteCandidates();
    } else if (m.kind === 'candidate') {
      await addRemoteCandidate(m.data);
    }
  }

  function onServerMessage(m) {
    switch (m.type) {
      case 'welcome':
        R.self = m.peer;
        iceServers = Array.isArray(m.ice_servers) ? m.ice_servers : [];
        log(`welcome, peer ${m.peer}`);
        send({ type: 'announce', id: nextId++, resource: R.resource, complete: role === 'sender', metadata: R.metadata });
        break;
      case 'announced':
        log(`announced, swarm of ${m.peers}`);
        setState('signaling');
        if (role === 'sender' && m.peers >= 2 && !R.remote) send({ type: 'lookup', id: nextId++, resource: R.resource });
        break;
      case 'lookup_result':
        if (role === 'sender' && !R.remote && m.peers.length > 0) {
          R.remote = m.peers[0].peer;
          startAsSender().catch(fail);
        }
        break;
      case 'peer_joined':
        if (role === 'sender' && !R.remote && m.resource === R.resource) {
          R.remote = m.peer;
          startAsSender().catch(fail);
        }
        break;
      case 'signal':
        onSignal(m).catch(fail);
        break;
      case 'error':
        fail(new Error(`server error ${m.code}: ${m.message}`));
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Transfer

  function channelOpened(channel) {
    R.connectMs = Math.round(performance.now() - t0Page);
    channel.onclose = () => {
      if (R.state !== 'done') fail(new Error('data channel closed before the transfer finished'));
    };
    setState('open');
  }

  async function recordCandidate() {
    try {
      const stats = await pc.getStats();
      let pair;
      stats.forEach((s) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
      });
      if (!pair) stats.forEach((s) => {
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
      });
      if (pair) {
        const l = stats.get(pair.localCandidateId);
        const r = stats.get(pair.remoteCandidateId);
        R.candidate = `${l && l.candidateType}/${l && l.protocol} -> ${r && r.candidateType}/${r && r.protocol}`;
      }
    } catch (e) {
      R.candidate = `unknown (${e})`;
    }
  }

  function wireSender(channel) {
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    const chunk = new Uint8Array(msgSize);
    for (let off = 0; off < chunk.length; off += 65536) crypto.getRandomValues(chunk.subarray(off, off + 65536));
    let sent = 0;
    let t0 = 0;
    let ticker;
    // Every message but the last is the whole chunk: the digest of what is sent is known ahead.
    const expectedDigest = verify
      ? (async () => {
          const whole = await sha256(chunk);
          const tail = totalBytes % msgSize;
          const digests = Array.from({ length: Math.floor(totalBytes / msgSize) }, () => whole);
          if (tail > 0) digests.push(await sha256(chunk.slice(0, tail)));
          return digestOfDigests(digests);
        })()
      : null;
    function pump() {
      while (sent < totalBytes && channel.bufferedAmount < HIGH_WATER) {
        const n = Math.min(msgSize, totalBytes - sent);
        channel.send(n === msgSize ? chunk : chunk.subarray(0, n));
        sent += n;
        R.sentMessages++;
      }
      R.bytes = sent;
      R.sentBytes = sent;
      if (sent >= totalBytes && R.state === 'sending') {
        channel.onbufferedamountlow = null;
        setState('sent');
      }
    }
    channel.onopen = () => {
      channelOpened(channel);
      channel.send(JSON.stringify({ type: 'start', bytes: totalBytes, msg: msgSize }));
      t0 = performance.now();
      setState('sending');
      ticker = setInterval(showBytes, 250);
      channel.onbufferedamountlow = pump;
      pump();
    };
    channel.onmessage = async (e) => {
      if (typeof e.data !== 'string') return;
      const m = JSON.parse(e.data);
      if (m.type !== 'done') return;
      R.senderElapsedMs = performance.now() - t0;
      R.bytes = m.bytes;
      R.elapsedMs = m.elapsedMs;
      R.mbps = m.mbps;
      clearInterval(ticker);
      showBytes();
      if (expectedDigest) R.digest = await expectedDigest;
      await recordCandidate();
      $('result').textContent = JSON.stringify({ bytes: R.bytes, elapsedMs: R.elapsedMs, mbps: R.mbps, senderElapsedMs: R.senderElapsedMs, candidate: R.candidate });
      setState('done');
    };
  }

  function wireReceiver(channel) {
    channel.binaryType = 'arraybuffer';
    let t0 = 0;
    let ticker;
    const digests = []; // with verify: one promise per message, in order
    let finished = false;
    if (channel.readyState === 'open') channelOpened(channel);
    else channel.onopen = () => channelOpened(channel);
    channel.onmessage = async (e) => {
      if (typeof e.data === 'string') {
        const m = JSON.parse(e.data);
        if (m.type === 'start') {
          R.expectedBytes = m.bytes;
          R.bytes = 0;
          t0 = performance.now();
          setState('receiving');
          ticker = setInterval(showBytes, 250);
        }
        return;
      }
      R.bytes += e.data.byteLength;
      R.messages++;
      if (verify) digests.push(sha256(e.data));
      if (!finished && R.bytes >= R.expectedBytes && R.state === 'receiving') {
        finished = true;
        R.elapsedMs = performance.now() - t0;
        R.mbps = R.bytes / 1e6 / (R.elapsedMs / 1000);
        clearInterval(ticker);
        showBytes();
        channel.send(JSON.stringify({ type: 'done', bytes: R.bytes, elapsedMs: R.elapsedMs, mbps: R.mbps }));
        if (verify) R.digest = await digestOfDigests(await Promise.all(digests));
        await recordCandidate();
        $('result').textContent = JSON.stringify({ bytes: R.bytes, elapsedMs: R.elapsedMs, mbps: R.mbps, candidate: R.candidate });
        setState('done');
      }
    };
  }

  // ---------------------------------------------------------------------------------------------

  async function main() {
    if (role !== 'sender' && role !== 'receiver') throw new Error('?role= must be sender or receiver');
    if (!(totalBytes > 0) || !(msgSize > 0)) throw new Error('?bytes= and ?msg= must be positive');
    const share = await buildShare(room);
    R.resource = share.id;
    R.metadata = share.base64;
    log(`${role} in room ${room}, resource ${share.id}`);
    ws = new WebSocket(wsUrl);
    ws.onmessage = (e) => {
      try {
        onServerMessage(JSON.parse(e.data));
      } catch (err) {
        fail(err);
      }
    };
    ws.onclose = (e) => {
      if (R.state !== 'done' && !(dc && dc.readyState === 'open')) fail(new Error(`signaling closed (code ${e.code})`));
    };
  }

  main().catch(fail);
})();
