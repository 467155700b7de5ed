// The options page's SIP account: its fields filled from and read into the form of
// lib/optionsform.js, the codec list (enabled, moved up and down), the fields that only
// some transports use, and the password that is never shown (only whether one is set).

import { t } from '../lib/i18n.js';
import {
  CODECS, TRANSPORTS, SRTP_MODES, TLS_TRANSPORTS, WS_TRANSPORTS, DND_CODES, moveCodec,
} from '../lib/optionsform.js';
import { fillSelect } from './formcontrols.js';

function codecLabel(name) {
  return CODECS.find((c) => c.name === name)?.label ?? name;
}

/** The empty password field says whether a password is stored (it is never shown). */
export function passwordPlaceholder(set) {
  return set ? t('optionsPasswordSet') : t('optionsPasswordNotSet');
}

/**
 * Sets up the account fields of the page (els) over the shared page state.
 * @returns {{fields: object, fill(a: object): void, read(base: object): object, setCodecs(c: object[]): void,
 *   showTransportFields(): void}}
 *   `fields`: the inputs by their key in lib/optionsform.js (where its problems show)
 */
export function accountSection({ els, page }) {
  /** Form fields of the account by their key in lib/optionsform.js. */
  const fields = {
    displayName: els.displayName,
    user: els.user,
    authUser: els.authUser,
    password: els.password,
    domain: els.domain,
    registrar: els.registrar,
    outboundProxy: els.outboundProxy,
    transport: els.transport,
    srtp: els.srtp,
    tlsCaFile: els.tlsCaFile,
    wsPath: els.wsPath,
    codecs: els.codecs,
    autoAnswerSeconds: els.autoAnswerSeconds,
    dndCode: els.dndCode,
    region: els.region,
    blf: els.blf,
    pickupPrefix: els.pickupPrefix,
  };

  fillSelect(els.transport, TRANSPORTS.map((tr) => ({ value: tr.value, label: tr.label, disabled: !tr.available })), 'udp');
  fillSelect(els.srtp, SRTP_MODES.map((m) => ({ value: m.value, label: m.label })), 'auto');
  fillSelect(els.dndCode, DND_CODES.map((d) => ({ value: String(d.code), label: d.label })), '486');

  /** Renders the codec list; `focus` puts the focus back on a moved codec's button. */
  function renderCodecs(focus = null) {
    els.codecs.textContent = '';
    page.codecs.forEach((c, i) => {
      const li = els.codecTemplate.content.firstElementChild.cloneNode(true);
      const box = li.querySelector('.codec-enabled');
      const label = li.querySelector('.codec-label');
      const up = li.querySelector('.codec-up');
      const down = li.querySelector('.codec-down');
      const name = codecLabel(c.name);
      box.id = `codec-${c.name}`;
      box.checked = c.enabled;
      box.dataset.codec = c.name;
      label.setAttribute('for', box.id);
      label.textContent = name;
      up.setAttribute('aria-label', t('optionsCodecMoveUp', name));
      down.setAttribute('aria-label', t('optionsCodecMoveDown', name));
      up.dataset.codec = c.name;
      down.dataset.codec = c.name;
      up.disabled = i === 0;
      down.disabled = i === page.codecs.length - 1;
      li.dataset.codec = c.name;
      els.codecs.append(li);
      if (focus?.name === c.name) {
        const target = focus.up ? up : down;
        (target.disabled ? (focus.up ? down : up) : target).focus();
      }
    });
  }

  els.codecs.addEventListener('click', (ev) => {
    const button = ev.target.closest('button');
    if (!button || button.disabled) return;
    const up = button.classList.contains('codec-up');
    const i = page.codecs.findIndex((c) => c.name === button.dataset.codec);
    if (i < 0) return;
    page.codecs = moveCodec(page.codecs, i, up ? -1 : 1);
    page.dirty = true;
    renderCodecs({ name: button.dataset.codec, up });
  });

  els.codecs.addEventListener('change', (ev) => {
    const name = ev.target.dataset?.codec;
    const c = page.codecs.find((x) => x.name === name);
    if (c) c.enabled = Boolean(ev.target.checked);
  });

  /**
   * Fields that matter for some transports only: the TLS CA file for TLS and WSS, the
   * WebSocket path for WS and WSS; shown for them (or when one is set).
   */
  function showTransportFields() {
    const tr = els.transport.value;
    els.tlsCaField.hidden = !TLS_TRANSPORTS.includes(tr) && els.tlsCaFile.value.trim() === '';
    els.wsPathField.hidden = !WS_TRANSPORTS.includes(tr) && els.wsPath.value.trim() === '';
  }
  els.transport.addEventListener('change', showTransportFields);

  function fill(a) {
    els.displayName.value = a.displayName;
    els.user.value = a.user;
    els.authUser.value = a.authUser;
    els.password.value = ''; // never prefilled
    els.password.setAttribute('placeholder', passwordPlaceholder(a.passwordSet));
    els.domain.value = a.domain;
    els.registrar.value = a.registrar;
    els.outboundProxy.value = a.outboundProxy;
    els.transport.value = a.transport;
    els.srtp.value = a.srtp;
    els.tlsCaFile.value = a.tlsCaFile;
    els.wsPath.value = a.wsPath;
    showTransportFields();
    page.codecs = a.codecs.map((c) => ({ ...c }));
    renderCodecs();
    els.autoAnswer.checked = a.autoAnswer;
    els.autoAnswerSeconds.value = a.autoAnswerSeconds;
    els.autoAnswerFromPbx.checked = a.autoAnswerFromPbx;
    els.mwi.checked = a.mwi;
    els.acceptRefer.checked = a.acceptRefer;
    els.dndCode.value = a.dndCode;
    els.region.value = a.region;
    els.blf.value = a.blf;
    els.pickupPrefix.value = a.pickupPrefix;
  }

  function read(base) {
    return {
      ...base,
      displayName: els.displayName.value,
      user: els.user.value,
      authUser: els.authUser.value,
      password: els.password.value,
      domain: els.domain.value,
      registrar: els.registrar.value,
      outboundProxy: els.outboundProxy.value,
      transport: els.transport.value,
      srtp: els.srtp.value,
      tlsCaFile: els.tlsCaFile.value,
      wsPath: els.wsPath.value,
      codecs: page.codecs.map((c) => ({ ...c })),
      autoAnswer: Boolean(els.autoAnswer.checked),
      autoAnswerSeconds: els.autoAnswerSeconds.value,
      autoAnswerFromPbx: Boolean(els.autoAnswerFromPbx.checked),
      mwi: Boolean(els.mwi.checked),
      acceptRefer: Boolean(els.acceptRefer.checked),
      dndCode: els.dndCode.value,
      region: els.region.value,
      blf: els.blf.value,
      pickupPrefix: els.pickupPrefix.value,
    };
  }

  /** Shows this codec list (the policy's); the user's order is replaced. */
  function setCodecs(codecs) {
    page.codecs = codecs.map((c) => ({ ...c }));
    renderCodecs();
  }

  return {
    fields, fill, read, setCodecs, showTransportFields,
  };
}
