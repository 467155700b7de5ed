// The options page's Dialer/PBX sites: one row per site (address, match pattern, login
// page pattern, session cookie), the match pattern following the address until it is
// edited by hand, always one row to fill in, Add site and Remove.

import { t } from '../lib/i18n.js';
import { emptySiteForm, siteIsEmpty, matchFromUrl } from '../lib/optionsform.js';
import { setText } from './formcontrols.js';

/** Class names of a site row's inputs by their key in lib/optionsform.js. */
export const SITE_FIELDS = Object.freeze({
  url: 'site-url', match: 'site-match', login: 'site-login', sessionCookie: 'site-cookie',
});

/**
 * Sets up the sites list of the page (els) over the shared page state.
 * @returns {{rows(): object[], input(li: object, key: string): object, fill(sites: object[]): void,
 *   read(): object[]}}
 */
export function sitesSection({ els, page }) {
  function rows() {
    return [...els.sites.querySelectorAll('li.site')]; // a NodeList has no map/find/indexOf
  }

  function input(li, key) {
    return li.querySelector(`.${SITE_FIELDS[key]}`);
  }

  function numberSites() {
    rows().forEach((li, i) => { setText(li.querySelector('.site-legend'), t('optionsSiteNumber', i + 1)); });
  }

  /** Adds a site row with these values; returns it. */
  function addRow(site) {
    const li = els.siteTemplate.content.firstElementChild.cloneNode(true);
    const n = ++page.siteCount;
    const legend = li.querySelector('.site-legend');
    legend.id = `site-legend-${n}`;
    for (const [key, cls] of Object.entries(SITE_FIELDS)) {
      const field = li.querySelector(`.${cls}`);
      const id = `${cls}-${n}`;
      field.id = id;
      li.querySelector(`.${cls}-label`).setAttribute('for', id);
      const hint = li.querySelector(`.${cls}-hint`);
      const error = li.querySelector(`.${cls}-error`);
      hint.id = `${id}-hint`;
      error.id = `${id}-error`;
      field.setAttribute('aria-describedby', `${hint.id} ${error.id}`);
      field.value = site[key] ?? '';
    }
    // A match pattern that is not the one the address suggests was written by hand: keep it.
    const match = site.match ?? '';
    li.dataset.matchEdited = String(match !== '' && match !== matchFromUrl(site.url ?? ''));
    li.querySelector('.site-remove').setAttribute('aria-describedby', legend.id);
    els.sites.append(li);
    numberSites();
    return li;
  }

  function fill(sites) {
    els.sites.textContent = '';
    for (const s of sites) addRow(s);
    if (sites.length === 0) addRow(emptySiteForm()); // always one row to fill in
  }

  function readRow(li) {
    const s = {};
    for (const key of Object.keys(SITE_FIELDS)) s[key] = input(li, key).value;
    return s;
  }

  function read() {
    return rows().map(readRow);
  }

  els.sites.addEventListener('input', (ev) => {
    const li = ev.target.closest('li.site');
    if (!li) return;
    if (ev.target.classList.contains('site-url')) {
      // The match pattern follows the address until it is edited by hand.
      if (li.dataset.matchEdited !== 'true') input(li, 'match').value = matchFromUrl(ev.target.value);
    } else if (ev.target.classList.contains('site-match')) {
      li.dataset.matchEdited = String(ev.target.value.trim() !== '');
    }
  });

  els.sites.addEventListener('click', (ev) => {
    const button = ev.target.closest('button.site-remove');
    if (!button) return;
    const li = button.closest('li.site');
    const i = rows().indexOf(li);
    li.remove();
    page.dirty = true;
    if (rows().length === 0) addRow(emptySiteForm());
    numberSites();
    const left = rows();
    (left[Math.min(i, left.length - 1)]?.querySelector('.site-remove') ?? els.addSite).focus();
  });

  els.addSite.addEventListener('click', () => {
    // An empty row is already there to fill in: go to it rather than add another.
    const empty = rows().find((li) => siteIsEmpty(readRow(li)));
    const li = empty ?? addRow(emptySiteForm());
    input(li, 'url').focus();
  });

  return {
    rows, input, fill, read,
  };
}
