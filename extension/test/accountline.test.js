import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accountLine, accountName, MAX_ACCOUNT_NAME_CHARS } from '../lib/accountline.js';
import { useI18n } from '../lib/i18n.js';
import { fakeI18n } from './fakei18n.js';

useI18n(fakeI18n());

const acc = { id: 'work', user: '1001', domain: 'pbx.example.com', registration: 'registered' };

test('first line: the display name, else the user, and the registration in a word or two', () => {
  assert.deepEqual(accountLine({ ...acc, display_name: 'Alice Smith' }),
    { name: 'Alice Smith', status: 'Registered', full: 'Registered as 1001 at pbx.example.com' });
  assert.deepEqual(accountLine(acc), { name: '1001', status: 'Registered', full: 'Registered as 1001 at pbx.example.com' });
  assert.equal(accountLine({ ...acc, display_name: '  ' }).name, '1001', 'a blank display name is none');
  assert.equal(accountLine({ ...acc, registration: 'registering' }).status, 'Registering…');
  assert.equal(accountLine({ ...acc, registration: 'unregistered' }).status, 'Not registered');
  const wrong = accountLine({ ...acc, registration: 'failed', error: { code: 'sip', sip_code: 403, message: 'Forbidden' } });
  assert.equal(wrong.status, 'Wrong password');
  const lost = accountLine({ ...acc, registration: 'failed', error: { code: 'sip', message: 'Connection to the PBX lost' } });
  assert.deepEqual([lost.status, lost.full], ['Registration failed', 'Connection to the PBX lost'], 'the PBX\'s words go to the tooltip');
  assert.deepEqual(accountLine(null), { name: '', status: 'No SIP account is set up.', full: 'No SIP account is set up.' });
});

test('first line: a long name is capped', () => {
  assert.equal(accountName({ ...acc, display_name: 'x'.repeat(500) }).length, MAX_ACCOUNT_NAME_CHARS);
  assert.equal(accountName({ user: 42 }), '42');
});
