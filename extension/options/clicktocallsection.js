// The options page's Click-to-call section: the two switches (tel:/sip:/callto: links,
// numbers found in page text) and the default region, kept in storage.local; the
// background registers the content script from them. Turning a switch on asks for the
// host permission in the same click. A switch an administrator's policy forces on
// cannot be clicked: "Allow on web pages" asks for the permission it needs instead.

import { browser } from '../lib/browser.js';
import { t } from '../lib/i18n.js';
import {
  CLICK_TO_CALL_KEY, readClickToCallSettings, normalizeRegion, clickToCallPermissions, needsContentScript,
} from '../lib/clicktocallsettings.js';
import { clickToCallUnderPolicy } from '../lib/managedpolicy.js';
import { setText } from './formcontrols.js';

/**
 * Sets up the click-to-call section of the page (els) over the shared page state.
 * @param {object} o
 * @param {(values: object) => void} o.storeLocal writes to storage.local (a failure shows)
 * @returns {{show(): Promise<void>}}
 */
export function clickToCallSection({ els, page, storeLocal }) {
  function setStatus(words, problem = false) {
    setText(els.ctcStatus, words);
    els.ctcStatus.classList.toggle('is-problem', problem);
  }

  function store() {
    page.clickToCall = {
      links: Boolean(els.ctcLinks.checked),
      detect: Boolean(els.ctcDetect.checked),
      region: page.clickToCall.region,
    };
    storeLocal({ [CLICK_TO_CALL_KEY]: { ...page.clickToCall } });
  }

  /**
   * A switch changed. Turning one on asks for the host permission in this very click
   * (the browser shows its prompt only while it handles the user's action); refused, the
   * switch goes back off.
   */
  function switched(el) {
    if (!el.checked) {
      setStatus('');
      store();
      return;
    }
    let asked;
    try {
      asked = typeof browser.permissions?.request === 'function'
        ? Promise.resolve(browser.permissions.request(clickToCallPermissions()))
        : Promise.resolve(false);
    } catch {
      asked = Promise.resolve(false);
    }
    asked.then(Boolean, () => false).then((granted) => {
      if (!granted) {
        el.checked = false;
        setStatus(t('optionsCtcNoPermission'), true);
      } else {
        setStatus('');
      }
      store();
    });
  }

  els.ctcLinks.addEventListener('click', () => { switched(els.ctcLinks); });
  els.ctcDetect.addEventListener('click', () => { switched(els.ctcDetect); });
  els.ctcRegion.addEventListener('change', () => {
    const raw = String(els.ctcRegion.value ?? '').trim();
    const region = normalizeRegion(raw);
    const bad = raw !== '' && region === '';
    els.ctcRegionError.hidden = !bad;
    setText(els.ctcRegionError, bad ? t('optionsCtcRegionError') : '');
    els.ctcRegion.setAttribute('aria-invalid', bad ? 'true' : 'false');
    if (bad) return;
    els.ctcRegion.value = region;
    page.clickToCall = { ...page.clickToCall, region };
    storeLocal({ [CLICK_TO_CALL_KEY]: { ...page.clickToCall } });
  });

  // Forced on by policy without the permission: the switch is locked, so this asks.
  els.ctcAllow.addEventListener('click', () => {
    let asked;
    try {
      asked = Promise.resolve(browser.permissions.request(clickToCallPermissions()));
    } catch {
      asked = Promise.resolve(false);
    }
    asked.then(Boolean, () => false).then((granted) => {
      els.ctcAllow.hidden = granted;
      setStatus(granted ? '' : t('optionsCtcNoPermission'), !granted);
    });
  });

  /**
   * Shows the stored settings (with what the policy forces), and says so when a switch
   * is on without its permission.
   */
  async function show() {
    page.clickToCall = await readClickToCallSettings(browser.storage.local);
    const shown = clickToCallUnderPolicy(page.clickToCall, page.policy);
    els.ctcLinks.checked = shown.links;
    els.ctcDetect.checked = shown.detect;
    els.ctcRegion.value = shown.region;
    els.ctcAllow.hidden = true;
    if (!needsContentScript(shown)) return;
    let granted = true;
    try {
      if (typeof browser.permissions?.contains === 'function') granted = await browser.permissions.contains(clickToCallPermissions());
    } catch {
      granted = false;
    }
    if (granted) return;
    setStatus(t('optionsCtcNoPermission'), true);
    const forced = Object.keys(page.policy?.clickToCall ?? {}).some((k) => k !== 'region' && shown[k]);
    els.ctcAllow.hidden = !forced;
  }

  return { show };
}
