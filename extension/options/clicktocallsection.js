// The options page's Click-to-call section: the two switches (tel:/sip:/callto: links,
// numbers found in page text) and the default region, kept in storage.local; the
// background registers the content script from them. Turning a switch on asks for the
// host permission in the same click.

import { browser } from '../lib/browser.js';
import { t } from '../lib/i18n.js';
import {
  CLICK_TO_CALL_KEY, readClickToCallSettings, normalizeRegion, clickToCallPermissions, needsContentScript,
} from '../lib/clicktocallsettings.js';
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

  /** Shows the stored settings, and says so when a switch is on without its permission. */
  async function show() {
    page.clickToCall = await readClickToCallSettings(browser.storage.local);
    els.ctcLinks.checked = page.clickToCall.links;
    els.ctcDetect.checked = page.clickToCall.detect;
    els.ctcRegion.value = page.clickToCall.region;
    if (!needsContentScript(page.clickToCall)) return;
    let granted = true;
    try {
      if (typeof browser.permissions?.contains === 'function') granted = await browser.permissions.contains(clickToCallPermissions());
    } catch {
      granted = false;
    }
    if (!granted) setStatus(t('optionsCtcNoPermission'), true);
  }

  return { show };
}
