// The close-soon warning of the softphone window and the popup: the host's message
// ("Window will be closed soon, since there is no active session") and a countdown of
// whole seconds to the host's deadline, redrawn a few times a second so it never lags
// the host's own 5 s timer by more than a tick. The elements and the clock are injected
// (the pages pass their own DOM elements; tests pass fakes).

import { CLOSING_MESSAGE } from './protocol.js';
import { closingDeadline } from './state.js';
import { systemClock } from './clock.js';
import { t } from './i18n.js';

/** How often the countdown is redrawn while it runs (ms). */
export const COUNTDOWN_TICK_MS = 200;

/** Whole seconds left until deadline (Unix ms): 5 at the start, 0 at the deadline. */
export function secondsLeft(deadline, now) {
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export class ClosingWarning {
  /**
   * @param {object} o
   * @param {{hidden: boolean}} o.box the #closing-warning element
   * @param {{textContent: string}} o.message the #closing-message element
   * @param {{textContent: string}} o.countdown the #closing-countdown element
   */
  constructor({ box, message, countdown, clock = systemClock, tickMs = COUNTDOWN_TICK_MS }) {
    this._box = box;
    this._message = message;
    this._countdown = countdown;
    this._clock = clock;
    this._tickMs = tickMs;
    this._deadline = null;
    this._timer = null;
  }

  /** True while the warning shows. */
  get shown() {
    return this._deadline !== null;
  }

  /** Shows the warning for the state's closing deadline, or hides it (cancelled, closed). */
  update(state) {
    const deadline = closingDeadline(state);
    if (deadline === null) {
      this.hide();
      return;
    }
    // The host's standard warning (English) shows in the user's language; any other
    // message of the host shows as it came.
    const hostMessage = state.session.message;
    const text = !hostMessage || hostMessage === CLOSING_MESSAGE ? t('closingWarning') : hostMessage;
    this._deadline = deadline;
    setText(this._message, text);
    this._tick();
    this._box.hidden = false;
    if (this._timer === null) this._timer = this._clock.setInterval(() => this._tick(), this._tickMs);
  }

  hide() {
    this._deadline = null;
    this._stop();
    this._box.hidden = true;
    setText(this._message, '');
    setText(this._countdown, '');
  }

  _tick() {
    if (this._deadline === null) return;
    const left = secondsLeft(this._deadline, this._clock.now());
    setText(this._countdown, String(left));
    if (left === 0) this._stop(); // the host's close follows
  }

  _stop() {
    if (this._timer !== null) {
      this._clock.clearInterval(this._timer);
      this._timer = null;
    }
  }
}
