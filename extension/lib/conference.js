// The softphone window's audio mix for a three-way conference and for call recording,
// with WebAudio: the host stays a relay (it never mixes or transcodes), so the window
// sends each merged party a mix of the user's microphone and the other party, plays the
// user both parties, and records the microphone with what the user hears.
//
// Two layers: mixPlan() says which sources feed which output (pure, tested without a
// browser), and AudioMix applies a plan to an AudioContext made by an injected factory:
// one MediaStreamAudioSourceNode per input stream (the microphone, each call's remote
// stream), one MediaStreamAudioDestinationNode per output (each call routed through the
// mix, the playback of a conference, the recording), and an OscillatorNode for the
// recording announcement. A call routed through the mix sends its output's track
// (RTCRtpSender.replaceTrack); a call leaving the mix gets the plain microphone back.

/** The recording announcement: a short tone to the far party (the user hears it from lib/tones.js). */
export const ANNOUNCE_HZ = 1400;
export const ANNOUNCE_MS = 600;
/** Level of the announcement in the mix (0…1). */
export const ANNOUNCE_GAIN = 0.3;

/** Source names in a plan: the microphone, the announcement, and `call:<id>` per remote stream. */
export const MIC = 'mic';
export const TONE = 'tone';
export const callSource = (id) => `call:${id}`;

/**
 * Which sources feed which output.
 * @param {object} o
 * @param {string[]} o.merged the calls joined in a conference (fewer than two: none)
 * @param {{callId: string, announce?: boolean}|null} [o.recording] the call being recorded
 * @param {boolean} [o.announcing] the announcement tone sounds now
 * @param {boolean} [o.micMuted] the user muted the conference: the parties still hear
 *   each other, and neither they nor the recording get the microphone
 * @returns {{sends: Map<string, string[]>, playback: string[]|null, record: string[]|null}}
 *   sends: per call routed through the mix, its sources (the others go out with the
 *   plain microphone); playback: what the user hears when the mix plays (null: the page
 *   plays the one call's own stream); record: the recording's sources (null: none).
 */
export function mixPlan({ merged = [], recording = null, announcing = false, micMuted = false }) {
  const unique = [...new Set(merged)];
  const conference = unique.length >= 2 ? unique : [];
  const mic = micMuted && conference.length >= 2 ? [] : [MIC];
  const sends = new Map();
  for (const id of conference) {
    sends.set(id, [...mic, ...conference.filter((o) => o !== id).map(callSource)]);
  }
  let record = null;
  if (recording?.callId) {
    const recorded = conference.includes(recording.callId) ? conference : [recording.callId];
    record = [...mic, ...recorded.map(callSource)];
    // An announced recording routes the recorded parties through the mix, so the tone
    // reaches them; they keep that route until the recording ends (no second switch).
    if (recording.announce) for (const id of recorded) if (!sends.has(id)) sends.set(id, [...mic]);
  }
  if (announcing) for (const [id, sources] of sends) sends.set(id, [...sources, TONE]);
  return { sends, playback: conference.length >= 2 ? conference.map(callSource) : null, record };
}

const isConnected = (c) => c?.state === 'connected';

/**
 * The calls "Merge" would join: the connected calls (at least two, none transferring),
 * oldest first, or [] when there is nothing to merge. A conference holds what was
 * merged; a third connected call can be merged into it.
 */
export function mergeCandidates(calls, merged = []) {
  const connected = (calls ?? []).filter((c) => isConnected(c) && !c.transferring).map((c) => c.id);
  if (connected.length < 2) return [];
  const joined = new Set(merged);
  return connected.every((id) => joined.has(id)) ? [] : connected;
}

/**
 * The conference after the calls changed: members that ended (or are no longer
 * connected) leave, and a conference of fewer than two is none, so the last party
 * stays connected as a plain call.
 */
export function mergedAfter(merged, calls) {
  const connected = new Set((calls ?? []).filter(isConnected).map((c) => c.id));
  const left = (merged ?? []).filter((id) => connected.has(id));
  return left.length >= 2 ? left : [];
}

/** The conference without one party ("Split"): that party goes on hold, the rest stay joined. */
export function splitOff(merged, id) {
  const left = (merged ?? []).filter((m) => m !== id);
  return left.length >= 2 ? left : [];
}

/** The calls a Hold/Resume of `callId` applies to: the whole conference when it is in one. */
export function holdTargets(callId, merged) {
  return (merged ?? []).includes(callId) ? [...merged] : [callId];
}

/** The merged calls the host still holds (Merge takes them off hold), by id. */
export function heldMembers(merged, calls) {
  const byId = new Map((calls ?? []).map((c) => [c.id, c]));
  return (merged ?? []).filter((id) => byId.get(id)?.held === true);
}

/**
 * Applies mix plans to WebAudio. Inputs are registered as streams; outputs are created
 * on demand and kept while they are used, so the recording's stream and each sender's
 * track stay the same across plan changes (a split does not restart the recorder).
 */
export class AudioMix {
  /**
   * @param {object} o
   * @param {() => object} o.createContext makes the AudioContext (once, on first use)
   * @param {(stream: object) => void} [o.keepAlive] called once per remote stream that
   *   enters the mix (the page attaches it to a muted media element: Chromium gives
   *   WebAudio no samples of a remote WebRTC stream that plays nowhere)
   */
  constructor({ createContext, keepAlive = () => {}, log = console }) {
    this._createContext = createContext;
    this._keepAlive = keepAlive;
    this._log = log;
    this._ctx = null;
    this._inputs = new Map(); // source name → {stream, node}
    this._outputs = new Map(); // output name → destination node
    this._tone = null; // {osc, gain}
    this._senders = new Map(); // call id → {sender, mic track}: calls sending the mix
    this._plan = mixPlan({});
  }

  get context() { return this._ctx; }

  /** The current plan (for tests and the page). */
  get plan() { return this._plan; }

  _context() {
    if (!this._ctx) this._ctx = this._createContext();
    return this._ctx;
  }

  /** Registers (or replaces) an input stream: the microphone (MIC) or a call's remote stream. */
  setInput(name, stream) {
    const old = this._inputs.get(name);
    if (old?.stream === stream) return;
    if (old) {
      try { old.node.disconnect(); } catch { /* already */ }
      this._inputs.delete(name);
    }
    if (!stream) return;
    if (name !== MIC) this._keepAlive(stream);
    this._inputs.set(name, { stream, node: null });
  }

  /** Forgets a call (its remote stream and output); its sender is given the microphone back. */
  removeCall(id) {
    this.setInput(callSource(id), null);
    this._restoreSender(id);
    this._dropOutput(`send:${id}`);
  }

  _source(name) {
    const input = this._inputs.get(name);
    if (!input) return null;
    if (name === TONE) return null;
    input.node ??= this._context().createMediaStreamSource(input.stream);
    return input.node;
  }

  _output(name) {
    let node = this._outputs.get(name);
    if (!node) {
      node = this._context().createMediaStreamDestination();
      this._outputs.set(name, node);
    }
    return node;
  }

  _dropOutput(name) {
    const node = this._outputs.get(name);
    if (!node) return;
    this._outputs.delete(name);
    try { node.disconnect(); } catch { /* nothing connected */ }
  }

  _toneNode() {
    if (!this._tone) {
      const ctx = this._context();
      const osc = ctx.createOscillator();
      osc.frequency.value = ANNOUNCE_HZ;
      const gain = ctx.createGain();
      gain.gain.value = ANNOUNCE_GAIN;
      osc.connect(gain);
      osc.start();
      this._tone = { osc, gain };
    }
    return this._tone.gain;
  }

  _stopTone() {
    if (!this._tone) return;
    try { this._tone.osc.stop(); } catch { /* stopped */ }
    try { this._tone.gain.disconnect(); } catch { /* nothing */ }
    this._tone = null;
  }

  /**
   * Wires the graph as the plan says. `senders` maps each call id to its RTCRtpSender;
   * `micTrack` is the track a call leaving the mix sends again. Returns
   * {playback: MediaStream|null, record: MediaStream|null}.
   */
  apply(plan, { senders = new Map(), micTrack = null } = {}) {
    this._plan = plan;
    const used = new Set();
    // Take every source off its outputs, then connect as planned: plans are tiny.
    for (const input of this._inputs.values()) {
      if (input.node) try { input.node.disconnect(); } catch { /* none */ }
    }
    if (this._tone) try { this._tone.gain.disconnect(); } catch { /* none */ }
    const connect = (sources, outName) => {
      const out = this._output(outName);
      used.add(outName);
      for (const name of sources) {
        const node = name === TONE ? this._toneNode() : this._source(name);
        node?.connect(out);
      }
      return out;
    };
    for (const [id, sources] of plan.sends) {
      const out = connect(sources, `send:${id}`);
      this._routeSender(id, senders.get(id), out.stream.getAudioTracks()[0], micTrack);
    }
    for (const id of [...this._senders.keys()]) if (!plan.sends.has(id)) this._restoreSender(id);
    const playback = plan.playback ? connect(plan.playback, 'playback').stream : null;
    const record = plan.record ? connect(plan.record, 'record').stream : null;
    for (const name of [...this._outputs.keys()]) if (!used.has(name)) this._dropOutput(name);
    if (![...plan.sends.values()].some((s) => s.includes(TONE))) this._stopTone();
    if (this._ctx?.state === 'suspended') this._ctx.resume?.().catch(() => {});
    return { playback, record };
  }

  _routeSender(id, sender, track, micTrack) {
    const had = this._senders.get(id);
    if (!sender) return;
    if (had?.sender === sender && had.track === track) return;
    this._senders.set(id, { sender, track, micTrack: had?.micTrack ?? micTrack });
    this._replace(sender, track);
  }

  _restoreSender(id) {
    const had = this._senders.get(id);
    if (!had) return;
    this._senders.delete(id);
    if (had.micTrack) this._replace(had.sender, had.micTrack);
  }

  _replace(sender, track) {
    Promise.resolve()
      .then(() => sender.replaceTrack(track))
      .catch((e) => this._log.warn?.('tabphone: could not switch a call to the mix', e?.name ?? e));
  }

  /** Ends the mix: every sender back on the microphone, the context closed. */
  close() {
    for (const id of [...this._senders.keys()]) this._restoreSender(id);
    this._stopTone();
    for (const name of [...this._outputs.keys()]) this._dropOutput(name);
    for (const input of this._inputs.values()) if (input.node) try { input.node.disconnect(); } catch { /* none */ }
    this._inputs.clear();
    this._plan = mixPlan({});
    const ctx = this._ctx;
    this._ctx = null;
    ctx?.close?.().catch?.(() => {});
  }
}
