// Injected before clicktocall.js only on the configured Dialer/PBX sites whose host
// permission the extension holds (lib/contentscripts.js, SITE_SCRIPT_ID): call links
// there work without the click-to-call switch. The mark lives in the content script's
// own world, which the page cannot reach.
(function dialerSite() {
  'use strict';

  const prev = globalThis.TabphoneContent;
  const ns = prev && Object.getPrototypeOf(prev) === Object.prototype ? prev : (globalThis.TabphoneContent = {});
  ns.dialerSite = true;
}());
