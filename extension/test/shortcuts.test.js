import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandRequest, COMMAND } from '../lib/shortcuts.js';
import { initialState, applyEvent } from '../lib/state.js';

const withCalls = (calls) => applyEvent(initialState(), { type: 'state', data: { accounts: [], status: 'available', calls } });
const ringing = (id) => ({ id, state: 'ringing', direction: 'incoming', number: '1002' });
const connected = (id) => ({ id, state: 'connected', direction: 'outgoing', number: '600' });

test('Answer: the newest ringing incoming call; nothing without one', () => {
  assert.deepEqual(commandRequest(COMMAND.ANSWER, withCalls([ringing('a'), ringing('b')])), { type: 'answer', data: { call_id: 'b' } });
  assert.equal(commandRequest(COMMAND.ANSWER, withCalls([connected('c')])), null);
  assert.equal(commandRequest(COMMAND.ANSWER, initialState()), null);
});

test('End call: hangs up the newest call, declines one that still rings', () => {
  assert.deepEqual(commandRequest(COMMAND.END, withCalls([connected('c')])), { type: 'hangup', data: { call_id: 'c' } });
  assert.deepEqual(commandRequest(COMMAND.END, withCalls([connected('c'), ringing('r')])), { type: 'decline', data: { call_id: 'r' } });
  assert.equal(commandRequest(COMMAND.END, withCalls([])), null);
});

test('unknown commands do nothing', () => {
  assert.equal(commandRequest('_execute_action', withCalls([ringing('a')])), null);
  assert.equal(commandRequest(undefined, withCalls([ringing('a')])), null);
});
