// Keyboard shortcuts (the commands API): the browser's own shortcut opens the popup
// (_execute_action); ours answer the ringing call and end the current one, from any
// window, without opening anything first.

import { answer, decline, hangup } from './protocol.js';
import { liveCalls, ringingCalls, isRingingIncoming } from './state.js';

export const COMMAND = Object.freeze({
  ANSWER: 'answer-call',
  END: 'end-call',
});

/**
 * The host request a shortcut stands for in this state, or null when it has nothing to
 * do: Answer picks the newest ringing incoming call; End call ends the newest call, and
 * declines it when it is an incoming call still ringing.
 */
export function commandRequest(command, state) {
  if (command === COMMAND.ANSWER) {
    const call = ringingCalls(state).at(-1);
    return call ? answer(call.id) : null;
  }
  if (command === COMMAND.END) {
    const call = liveCalls(state).at(-1);
    if (!call) return null;
    return isRingingIncoming(call) ? decline(call.id) : hangup(call.id);
  }
  return null;
}
