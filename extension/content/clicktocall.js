// The click-to-call content script. A classic script (content scripts cannot be ES
// modules), registered by the background only after the user turned click-to-call on
// and granted the host permission (lib/contentscripts.js). It
// - turns the user's own click on a tel:, callto:, sip: or sips: link into a call: only
//   a trusted event (event.isTrusted), so a page's element.click() or dispatchEvent
//   never dials; the background checks the message again;
// - with number detection on (numberscan.js, pagemarks.js and libphonenumber-js are
//   injected before it), marks the numbers in the page and dials on a click on a mark.
// On a configured Dialer/PBX site (dialersite.js ran first) call links work with the
// link switch off: the user chose that site and granted it already.
// It sends only {type, data: {uri}} or {type, data: {number}}; it learns nothing back.
(function clickToCall() {
  'use strict';

  // A plain object of ours, never a page element that happens to have id="TabphoneContent"
  // (window's named properties reach content scripts too: DOM clobbering).
  const prev = globalThis.TabphoneContent;
  const ns = prev && Object.getPrototypeOf(prev) === Object.prototype ? prev : (globalThis.TabphoneContent = {});
  if (ns.clickToCallLoaded) return; // injected twice into one frame: keep the first
  ns.clickToCallLoaded = true;

  /** The same strings as CONTENT_MSG in lib/clicktocall.js. */
  const MSG = Object.freeze({ CALL_LINK: 'call_link', CALL_NUMBER: 'call_number' });
  const SETTINGS_KEY = 'clickToCall';
  const CALL_LINK = /^(?:tel|callto|sips?):/i;

  /** The href of the call link a click is on, or null. */
  function callLinkOf(ev) {
    const path = typeof ev.composedPath === 'function' ? ev.composedPath() : [ev.target];
    for (const n of path) {
      if (!n || n.nodeType !== 1) continue;
      const name = String(n.localName).toLowerCase();
      if (name !== 'a' && name !== 'area') continue;
      let href = n.href;
      if (href && typeof href === 'object') href = href.baseVal; // SVG <a>
      if (typeof href !== 'string' || href === '') return null; // the nearest link decides
      return CALL_LINK.test(href) ? href : null;
    }
    return null;
  }

  /**
   * The link a click should dial, or null: the user's own (trusted) primary click that
   * the page has not handled already.
   */
  function linkToDial(ev) {
    if (!ev.isTrusted || ev.defaultPrevented || ev.button !== 0) return null;
    return callLinkOf(ev);
  }

  function settingsOf(v) {
    const s = v && typeof v === 'object' ? v : {};
    return { links: s.links === true, detect: s.detect === true, region: typeof s.region === 'string' ? s.region : '' };
  }

  /**
   * Runs click-to-call in one frame.
   * @param {object} o
   * @param {object} o.api the WebExtension API (runtime.sendMessage, storage)
   * @param {Window} o.window
   * @param {object} [o.lib] libphonenumber-js, present when detection was injected
   * @param {object} o.settings what storage.local holds under "clickToCall"
   * @param {boolean} [o.dialerSite] a Dialer/PBX site's frame: call links always work
   */
  function start({
    api, window: win, lib, settings, dialerSite = false,
  }) {
    let current = settingsOf(settings);
    let marks = null;

    function send(type, data) {
      try {
        const p = api.runtime.sendMessage({ type, data });
        if (p && typeof p.catch === 'function') p.catch(() => {});
      } catch {
        // The extension was reloaded or removed: this page's script is orphaned.
      }
    }

    function onClick(ev) {
      if (!current.links && !dialerSite) return;
      const href = linkToDial(ev);
      if (!href) return;
      ev.preventDefault(); // no external protocol handler as well
      send(MSG.CALL_LINK, { uri: href });
    }

    function applyDetect() {
      const want = current.detect && lib && typeof ns.PageMarks === 'function' && typeof ns.findCallableNumbers === 'function';
      if (want && !marks) {
        const region = ns.regionFor(current.region, win.navigator.languages || [win.navigator.language]);
        marks = new ns.PageMarks({
          document: win.document,
          scan: (text) => ns.findCallableNumbers(text, { region, lib }),
          onDial: (number) => send(MSG.CALL_NUMBER, { number }),
        });
        marks.start();
      } else if (!want && marks) {
        marks.stop();
        marks = null;
      }
    }

    win.addEventListener('click', onClick, true);
    applyDetect();

    function onStorage(changes, area) {
      if (area !== 'local' || !changes || !Object.prototype.hasOwnProperty.call(changes, SETTINGS_KEY)) return;
      const next = settingsOf(changes[SETTINGS_KEY].newValue);
      const regionChanged = next.region !== current.region;
      current = next;
      if (regionChanged && marks) {
        marks.stop();
        marks = null;
      }
      applyDetect();
    }
    if (api.storage && api.storage.onChanged) api.storage.onChanged.addListener(onStorage);

    return {
      get marks() { return marks; },
      stop() {
        win.removeEventListener('click', onClick, true);
        if (api.storage && api.storage.onChanged) api.storage.onChanged.removeListener(onStorage);
        if (marks) marks.stop();
        marks = null;
      },
    };
  }

  ns.MSG = MSG;
  ns.callLinkOf = callLinkOf;
  ns.linkToDial = linkToDial;
  ns.startClickToCall = start;

  // In a page (not under node:test): read the settings, then start.
  const api = globalThis.browser || globalThis.chrome;
  if (api && api.runtime && api.runtime.id && api.storage && api.storage.local && typeof window !== 'undefined') {
    Promise.resolve(api.storage.local.get(SETTINGS_KEY)).then((got) => {
      // Only the library's own object (the bundle assigns it), not a clobbering element.
      const lib = globalThis.libphonenumber;
      const phoneLib = lib && typeof lib.findNumbers === 'function' ? lib : null;
      ns.page = start({
        api, window, lib: phoneLib, settings: got && got[SETTINGS_KEY], dialerSite: ns.dialerSite === true,
      });
    }, () => {});
  }
}());
