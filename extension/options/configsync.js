// The options page's config: read from the host with config_get (again when the host
// comes back, if that failed), checked by lib/optionsform.js, saved with config_set
// (the password only when a new one was typed) after asking, in the click itself, for
// the permissions the sites need; each problem shown by its field and all of them in the
// status line; and the first-run welcome until a save with an account. What an
// administrator's policy sets is put back into the form after every fill and into the
// config of every save (managedlock.js).

import { browser } from '../lib/browser.js';
import { t } from '../lib/i18n.js';
import { configGet, configSet } from '../lib/protocol.js';
import { statusOf } from '../lib/state.js';
import { errorWords } from '../lib/callview.js';
import {
  WORDS, configToForm, formToConfig, errorSummary, permissionsFor, watchesCookies,
} from '../lib/optionsform.js';
import { WELCOME_KEY } from '../lib/localsettings.js';
import { setText } from './formcontrols.js';
import { passwordPlaceholder } from './accountsection.js';
import { SITE_FIELDS } from './sitessection.js';

const SITE_FIELD_ERROR_KEYS = Object.keys(SITE_FIELDS);

/**
 * Asks for the sites' host permissions (and "cookies" for a session cookie). It must run
 * in the click handler itself, before any await: the browser allows the prompt only
 * while it handles the user's click. Resolves to whether it was granted.
 */
function requestPermissions(config) {
  const wanted = permissionsFor(config);
  if (wanted.origins.length === 0 && wanted.permissions.length === 0) return Promise.resolve(true);
  if (typeof browser.permissions?.request !== 'function') return Promise.resolve(false);
  try {
    return Promise.resolve(browser.permissions.request(wanted)).then(Boolean, () => false);
  } catch {
    return Promise.resolve(false);
  }
}

/**
 * Sets up loading and saving the config over the shared page state.
 * @param {object} o
 * @param {object} o.els the page's elements
 * @param {object} o.page the page state (pagestate.js)
 * @param {(type: string, data?: object) => Promise<object>} o.request to the background
 * @param {{fields: object, fill(a: object): void, read(base: object): object}} o.account accountsection.js
 * @param {{rows(): object[], input(li: object, key: string): object, fill(s: object[]): void, read(): object[]}} o.sites sitessection.js
 * @param {() => void} o.render shows the registration the host reports
 * @param {{apply(): void, configForSave(c: object): object}} [o.lock] managedlock.js
 */
export function configSync({
  els, page, request, account, sites, render, lock = null,
}) {
  function fillForm(form) {
    page.accounts = form.accounts.map((a) => ({ ...a }));
    account.fill(page.accounts[0]);
    sites.fill(form.sites);
    els.closeWithoutSession.checked = form.closeWithoutSession;
    lock?.apply();
    clearErrors();
    page.dirty = false;
  }

  function readForm() {
    const [first, ...rest] = page.accounts.length > 0 ? page.accounts : configToForm({}).accounts;
    return {
      accounts: [account.read(first), ...rest],
      sites: sites.read(),
      closeWithoutSession: Boolean(els.closeWithoutSession.checked),
    };
  }

  els.form.addEventListener('input', () => { page.dirty = true; });
  els.form.addEventListener('change', () => { page.dirty = true; });

  // ---- Errors and status ----

  function errorTarget(field) {
    const parts = String(field).split('.');
    if (parts[0] === 'accounts' && parts[1] === '0') {
      const el = account.fields[parts[2]];
      return el ? { input: el, error: document.getElementById(`${el.id}-error`) } : null;
    }
    if (parts[0] === 'sites' && SITE_FIELD_ERROR_KEYS.includes(parts[2])) {
      const li = sites.rows()[Number(parts[1])];
      if (!li) return null;
      const input = sites.input(li, parts[2]);
      return { input, error: li.querySelector(`.${SITE_FIELDS[parts[2]]}-error`) };
    }
    return null;
  }

  function clearErrors() {
    for (const el of els.form.querySelectorAll('p.field-error')) {
      el.textContent = '';
      el.hidden = true;
    }
    for (const el of [...Object.values(account.fields), ...els.sites.querySelectorAll('input')]) el.removeAttribute('aria-invalid');
  }

  function showErrors(errors) {
    let first = null;
    for (const e of errors) {
      const target = errorTarget(e.field);
      if (!target) continue;
      if (target.error) {
        const sentence = t('optionsProblem', e.message);
        target.error.textContent = target.error.textContent ? `${target.error.textContent} ${sentence}` : sentence;
        target.error.hidden = false;
      }
      target.input.setAttribute('aria-invalid', 'true');
      first ??= target.input;
    }
    if (first === els.codecs) first = els.codecs.querySelector('input') ?? els.codecs;
    first?.focus();
  }

  function setSaveStatus(words, problem = false) {
    setText(els.saveStatus, words);
    els.saveStatus.classList.toggle('is-problem', problem);
  }

  function setLoadStatus(words) {
    setText(els.loadStatus, words);
    els.loadStatus.hidden = words === '';
  }

  function showWelcome() {
    const noAccount = page.loaded !== null && (page.loaded.accounts ?? []).length === 0;
    els.welcome.hidden = !(page.localSettings?.showWelcome || noAccount);
  }

  // ---- Load and save ----

  async function load() {
    if (page.loading || page.saving) return;
    page.loading = true;
    const req = configGet();
    const reply = await request(req.type);
    page.loading = false;
    if (!reply.ok) {
      setLoadStatus(t('optionsReadFailed', errorWords(reply.error)));
      return;
    }
    setLoadStatus('');
    page.loaded = reply.data;
    const form = configToForm(page.loaded);
    if (!page.dirty) {
      fillForm(form);
    } else {
      // The user typed before the settings arrived: keep the typing, but take the accounts'
      // ids (the host keeps a password by account id) and whether a password is stored.
      page.accounts = form.accounts.map((a) => ({ ...a }));
      els.password.setAttribute('placeholder', passwordPlaceholder(page.accounts[0].passwordSet));
    }
    showWelcome();
  }

  /** Save and Test registration: checks the form, asks for the permissions, sends config_set. */
  function save() {
    if (page.saving) return;
    if (page.loaded === null) {
      setSaveStatus(t('optionsNotReadYet'), true);
      load();
      return;
    }
    clearErrors();
    const checked = formToConfig(readForm(), page.loaded, { status: statusOf(page.state) ?? undefined });
    if (!checked.ok) {
      setSaveStatus(errorSummary(checked.errors), true);
      showErrors(checked.errors);
      return;
    }
    if (lock) checked.config = lock.configForSave(checked.config);
    const granted = requestPermissions(checked.config); // synchronously, in the click
    page.saving = true;
    els.save.setAttribute('aria-busy', 'true');
    setSaveStatus(t('optionsSaving'));
    finishSave(checked.config, granted);
  }

  async function finishSave(config, granted) {
    const req = configSet(config);
    const [reply, allowed] = await Promise.all([request(req.type, req.data), granted]);
    page.saving = false;
    els.save.setAttribute('aria-busy', 'false');
    if (!reply.ok) {
      setSaveStatus(errorWords(reply.error), true);
      return;
    }
    page.loaded = reply.data;
    fillForm(configToForm(page.loaded));
    setSaveStatus(watchesCookies(config) && !allowed ? t('optionsSavedBut', WORDS.COOKIE_WATCH_OFF) : t('optionsSaved'));
    if ((page.loaded.accounts ?? []).length > 0) {
      if (page.localSettings) page.localSettings.showWelcome = false;
      browser.storage.local.set({ [WELCOME_KEY]: false }).catch(() => {});
    }
    showWelcome();
    render();
  }

  // The click itself (Enter in a field clicks the default button too), so the permission
  // prompt runs while the browser still counts the user's action; submit covers the rest.
  els.save.addEventListener('click', (ev) => {
    ev.preventDefault();
    save();
  });
  els.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    save();
  });
  els.testRegistration.addEventListener('click', () => { save(); });

  return {
    fillForm, load, setSaveStatus, showWelcome,
  };
}
