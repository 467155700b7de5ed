// What the popup and the options page show when the browser cannot reach tabphone-host
// (not installed, not allowing this extension, or not startable): the steps to install
// it for this OS and browser, as far as the extension can know them, and a "Check again"
// button. No browser calls here: the page passes what it learned (runtime.getPlatformInfo,
// runtime.getBrowserInfo in Firefox, navigator.userAgentData) and its own elements.

import { HOST_PROBLEM } from './protocol.js';
import { t } from './i18n.js';

/** The names `tabphone-host install --browser` takes, with the browser's own name. */
export const BROWSER_TITLES = Object.freeze({
  chrome: 'Google Chrome',
  chromium: 'Chromium',
  edge: 'Microsoft Edge',
  brave: 'Brave',
  vivaldi: 'Vivaldi',
  opera: 'Opera',
  firefox: 'Firefox',
});

/**
 * Which browser this is. Brave and Vivaldi do not name themselves in the brands, so
 * Brave is told by navigator.brave and Vivaldi by its user agent.
 * @param {{firefox?: boolean, brands?: string[], brave?: boolean, userAgent?: string}} o
 */
export function browserKind({ firefox = false, brands = [], brave = false, userAgent = '' } = {}) {
  if (firefox || /Firefox\//.test(userAgent)) return 'firefox';
  if (brave) return 'brave';
  if (/Vivaldi/.test(userAgent)) return 'vivaldi';
  if (brands.includes('Microsoft Edge') || /Edg\//.test(userAgent)) return 'edge';
  if (brands.includes('Opera') || /OPR\//.test(userAgent)) return 'opera';
  if (brands.includes('Google Chrome')) return 'chrome';
  return 'chromium';
}

/** runtime.getPlatformInfo().os → the steps' OS: mac, win or linux (the rest). */
export function osKind(os) {
  if (os === 'mac' || os === 'win') return os;
  return 'linux';
}

/** True when the status means the host must be installed (again) before anything works. */
export function needsSetup(status) {
  return Boolean(status) && !status.connected && !status.connecting
    && Object.values(HOST_PROBLEM).includes(status.problem);
}

/** The steps, in words, for os (osKind) and browser (browserKind). */
export function setupSteps(os, browser) {
  const perOS = {
    linux: () => [t('hostSetupLinuxPackage'), t('hostSetupLinuxUser'), t('hostSetupLinuxSandbox')],
    mac: () => [t('hostSetupMacDownload'), t('hostSetupMacRun')],
    win: () => [t('hostSetupWinDownload'), t('hostSetupWinRun')],
  };
  const steps = perOS[osKind(os)]();
  const name = Object.hasOwn(BROWSER_TITLES, browser) ? browser : 'chromium';
  steps.push(t('hostSetupOneBrowser', BROWSER_TITLES[name], name));
  steps.push(t('hostSetupCheckAgain'));
  return steps;
}

export class HostSetup {
  /**
   * @param {object} o
   * @param {{hidden: boolean}} o.box the setup section
   * @param {{replaceChildren(...n: object[]): void}} o.steps the <ol> the steps go into
   * @param {{disabled: boolean, addEventListener(t: string, fn: () => void): void}} o.check "Check again"
   * @param {{createElement(tag: string): object}} o.doc
   * @param {() => void} o.onCheck asks the background to try the host now
   */
  constructor({ box, steps, check, doc, onCheck }) {
    this._box = box;
    this._steps = steps;
    this._check = check;
    this._doc = doc;
    this._env = { os: 'linux', browser: 'chromium' };
    this._drawn = '';
    check.addEventListener('click', () => {
      check.disabled = true; // until the next host status says how it went
      onCheck();
    });
  }

  /** What the page learned about the OS and the browser. */
  setEnvironment({ os, browser }) {
    this._env = { os: osKind(os), browser };
    this._drawn = '';
  }

  /** Shows or hides the steps for a host status; returns whether they show. */
  update(status) {
    const show = needsSetup(status);
    this._box.hidden = !show;
    this._check.disabled = false;
    if (!show) return false;
    const key = `${this._env.os}/${this._env.browser}`;
    if (this._drawn !== key) {
      this._steps.replaceChildren(...setupSteps(this._env.os, this._env.browser).map((text) => {
        const li = this._doc.createElement('li');
        li.textContent = text;
        return li;
      }));
      this._drawn = key;
    }
    return true;
  }
}

/** Learns the OS and the browser through the page's browser API and navigator. */
export async function detectEnvironment(runtime, nav = globalThis.navigator) {
  const [platform, info] = await Promise.all([
    runtime?.getPlatformInfo?.().catch(() => null),
    runtime?.getBrowserInfo?.().catch(() => null),
  ]);
  return {
    os: osKind(platform?.os),
    browser: browserKind({
      firefox: info?.name === 'Firefox',
      brands: (nav?.userAgentData?.brands ?? []).map((b) => b.brand),
      brave: Boolean(nav?.brave),
      userAgent: nav?.userAgent ?? '',
    }),
  };
}

/**
 * The setup section of a page (the elements host-setup, host-setup-steps and host-check),
 * with the environment learned in the background; render runs again once it is known.
 */
export function mountHostSetup({ doc, runtime, onCheck, render }) {
  const setup = new HostSetup({
    box: doc.getElementById('host-setup'),
    steps: doc.getElementById('host-setup-steps'),
    check: doc.getElementById('host-check'),
    doc,
    onCheck,
  });
  detectEnvironment(runtime).then((env) => { setup.setEnvironment(env); render(); });
  return setup;
}
