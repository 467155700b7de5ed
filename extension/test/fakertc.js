// Fakes for WebRTC: a peer connection that gathers when told, streams and tracks.

export const OFFER_SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\n';
export const CANDIDATE = 'a=candidate:1 1 udp 2122260223 192.168.1.10 50000 typ host\r\n';

export class FakeTrack {
  constructor(kind = 'audio') {
    this.kind = kind;
    this.stopped = false;
  }

  stop() { this.stopped = true; }
}

export class FakeStream {
  constructor(tracks = [new FakeTrack()]) { this.tracks = tracks; }

  getAudioTracks() { return this.tracks.filter((t) => t.kind === 'audio'); }

  getTracks() { return [...this.tracks]; }
}

/** An RTCRtpSender: its track, and every replaceTrack. */
export class FakeSender {
  constructor(track) {
    this.track = track;
    this.replaced = [];
  }

  async replaceTrack(track) {
    this.track = track;
    this.replaced.push(track);
  }
}

export class FakePC {
  constructor(config) {
    this.config = config;
    this.transceivers = [];
    this.listeners = new Map();
    this.iceGatheringState = 'new';
    this.signalingState = 'stable';
    this.connectionState = 'new';
    this.localDescription = null;
    this.remoteDescription = null;
    this.closed = false;
    FakePC.made.push(this);
  }

  addEventListener(type, fn) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(fn);
  }

  removeEventListener(type, fn) { this.listeners.get(type)?.delete(fn); }

  dispatch(type, ev = {}) { for (const fn of [...(this.listeners.get(type) ?? [])]) fn(ev); }

  listenerCount(type) { return this.listeners.get(type)?.size ?? 0; }

  addTransceiver(track, init) {
    // Without a track (an incoming call that rings) the sender has none until replaceTrack.
    const sender = new FakeSender(typeof track === 'string' ? null : track);
    const tr = { track, init, sender };
    const replace = sender.replaceTrack.bind(sender);
    sender.replaceTrack = async (t) => { await replace(t); tr.track = t; };
    this.transceivers.push(tr);
    return tr;
  }

  async createOffer() { return { type: 'offer', sdp: OFFER_SDP }; }

  async setLocalDescription(d) {
    this.localDescription = { type: d.type, sdp: d.sdp };
    this.signalingState = 'have-local-offer';
    this.iceGatheringState = 'gathering';
  }

  async setRemoteDescription(d) {
    if (this.failRemote) throw new Error(this.failRemote);
    this.remoteDescription = d;
    this.signalingState = 'stable';
  }

  /** Gathering finds these candidate lines, then completes (fires the event when asked). */
  gather(lines = [CANDIDATE], { complete = true } = {}) {
    this.localDescription = { ...this.localDescription, sdp: this.localDescription.sdp + lines.join('') };
    if (complete) {
      this.iceGatheringState = 'complete';
      this.dispatch('icegatheringstatechange');
    }
  }

  close() {
    this.closed = true;
    this.signalingState = 'closed';
  }
}

export class FakeMediaStream {
  constructor(tracks) { this.tracks = tracks; }
}
