// The options page under an administrator's policy (lib/managedpolicy.js): each field
// the policy sets shows the policy's value, cannot be changed (text fields read-only,
// so they can still be read and copied; switches and lists disabled) and says "Set by
// your organization" (its `<id>-managed` line, joined to the field's description only
// while locked); a note at the top names every locked setting in words. A save sends
// the config with the policy applied, whatever the form holds.

import { t } from '../lib/i18n.js';
import { isManaged, configUnderPolicy } from '../lib/managedpolicy.js';
import { codecsToForm } from '../lib/optionsform.js';
import { setText } from './formcontrols.js';

/** account_defaults keys → the page's element key (els) and the words of its label. */
const ACCOUNT_CONTROLS = Object.freeze({
  domain: ['domain', 'optionsDomain'],
  registrar: ['registrar', 'optionsRegistrar'],
  outbound_proxy: ['outboundProxy', 'optionsOutboundProxy'],
  transport: ['transport', 'optionsTransport'],
  srtp: ['srtp', 'optionsSrtp'],
  region: ['region', 'optionsRegion'],
});

const CLICK_TO_CALL_CONTROLS = Object.freeze({
  links: ['ctcLinks', 'optionsCtcLinks'],
  detect: ['ctcDetect', 'optionsCtcDetect'],
  region: ['ctcRegion', 'optionsCtcRegion'],
});

/**
 * Sets up the locks over the shared page state (`page.policy`).
 * @param {object} o
 * @param {object} o.els the page's elements
 * @param {object} o.page the page state
 * @param {{setCodecs(c: object[]): void, showTransportFields(): void}} o.account accountsection.js
 * @param {{rows(): object[], fill(s: object[]): void}} o.sites sitessection.js
 * @param {Document} [o.doc]
 * @returns {{apply(): void, configForSave(config: object): object}}
 */
export function managedLock({
  els, page, account, sites, doc = document,
}) {
  /** Shows or hides the control's "Set by your organization" line and ties it to the control. */
  function note(el, locked) {
    const line = doc.getElementById(`${el.id}-managed`);
    if (!line) return;
    setText(line, t('optionsManagedField'));
    line.hidden = !locked;
    const described = (el.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id !== '' && id !== line.id);
    if (locked) described.unshift(line.id);
    if (described.length > 0) el.setAttribute('aria-describedby', described.join(' '));
    else el.removeAttribute('aria-describedby');
  }

  function lock(el, locked) {
    if (el.tagName === 'INPUT' && el.getAttribute('type') !== 'checkbox') el.readOnly = locked;
    else el.disabled = locked;
    if (locked) el.setAttribute('aria-readonly', 'true');
    else el.removeAttribute('aria-readonly');
  }

  function applyAccount(policy, named) {
    for (const [key, [elKey, words]] of Object.entries(ACCOUNT_CONTROLS)) {
      const el = els[elKey];
      const locked = Object.hasOwn(policy.account, key);
      if (locked) {
        el.value = policy.account[key];
        named.push(t(words));
      }
      lock(el, locked);
      note(el, locked);
    }
    account.showTransportFields(); // the transport decides which fields show
    const codecsLocked = Object.hasOwn(policy.account, 'codecs');
    if (codecsLocked) {
      account.setCodecs(codecsToForm(policy.account.codecs));
      for (const el of els.codecs.querySelectorAll('input')) el.disabled = true;
      for (const el of els.codecs.querySelectorAll('button')) el.disabled = true;
      named.push(t('optionsCodecs'));
    }
    note(els.codecs, codecsLocked);
  }

  function applySites(policy, named) {
    const locked = policy.sites !== null;
    if (locked) {
      sites.fill(policy.sites.map((s) => ({
        url: s.url ?? '', match: s.match ?? '', login: s.login ?? '', sessionCookie: s.session_cookie ?? '',
      })));
      named.push(t('optionsManagedSites'));
    }
    for (const li of sites.rows()) {
      for (const input of li.querySelectorAll('input')) lock(input, locked);
      const remove = li.querySelector('.site-remove');
      if (remove) remove.hidden = locked;
    }
    els.addSite.hidden = locked;
    note(els.sites, locked);
    const switchLocked = policy.closeWithoutSession !== null;
    if (switchLocked) {
      els.closeWithoutSession.checked = policy.closeWithoutSession;
      named.push(t('optionsCloseWithoutSession'));
    }
    lock(els.closeWithoutSession, switchLocked);
    note(els.closeWithoutSession, switchLocked);
  }

  function applyClickToCall(policy, named) {
    for (const [key, [elKey, words]] of Object.entries(CLICK_TO_CALL_CONTROLS)) {
      const el = els[elKey];
      const locked = Object.hasOwn(policy.clickToCall, key);
      if (locked) {
        if (el.getAttribute('type') === 'checkbox') el.checked = policy.clickToCall[key];
        else el.value = policy.clickToCall[key];
        named.push(t(words));
      }
      lock(el, locked);
      note(el, locked);
    }
  }

  /** Puts the policy's values into the form and locks them (again after every fill). */
  function apply() {
    const { policy } = page;
    if (!policy) return;
    const named = [];
    applyAccount(policy, named);
    applySites(policy, named);
    applyClickToCall(policy, named);
    if (typeof policy.callRecording === 'boolean') named.push(t('optionsManagedRecording'));
    const words = isManaged(policy) ? t('optionsManagedNote', named.join('; ')) : '';
    setText(els.managedNote, words);
    els.managedNote.hidden = words === '';
  }

  /** The config a save sends: the form's, with the policy in force. */
  function configForSave(config) {
    return page.policy ? configUnderPolicy(config, page.policy) : config;
  }

  return { apply, configForSave };
}
