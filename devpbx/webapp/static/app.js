// Demo Dialer page script: the Menu disclosure, and the session socket that sends
// the page to the login page when its session ends (timeout, or logout in another
// tab), as real Dialer/PBX apps do. Loaded with defer; no inline script anywhere.
'use strict';

// Message types pushed on /app/ws; the server defines the same strings
// (webapp.MsgSessionExpired, webapp.MsgLoggedOut).
const LEAVE_FOR = {
  session_expired: '/login?reason=timeout',
  logged_out: '/login?reason=logout',
};
const MAX_MESSAGE = 1024;

let leaving = false;

function setUpMenu() {
  const button = document.getElementById('menu-button');
  const menu = document.getElementById('menu');
  if (!button || !menu) return;
  // Without script the items stay visible in the header; with it they drop down.
  menu.classList.add('dropdown');
  menu.hidden = true;
  button.hidden = false;

  const setOpen = (open) => {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
  };
  // Disclosure pattern: focus stays on the button; Tab reaches the items next.
  button.addEventListener('click', () => setOpen(menu.hidden));
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !menu.hidden) {
      setOpen(false);
      button.focus();
    }
  });
  document.addEventListener('click', (ev) => {
    if (!menu.hidden && !button.contains(ev.target) && !menu.contains(ev.target)) setOpen(false);
  });

  // The page's own logout navigates already; the server's logged_out push for it
  // must not race that navigation.
  document.getElementById('logout')?.addEventListener('click', (ev) => {
    if (!ev.defaultPrevented && ev.button === 0 && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey && !ev.altKey) {
      leaving = true;
    }
  });
}

function watchSession() {
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/app/ws`;
  let delay = 1000;
  const connect = () => {
    const ws = new WebSocket(url);
    let ended = false;
    ws.addEventListener('open', () => { delay = 1000; });
    ws.addEventListener('message', (ev) => {
      if (typeof ev.data !== 'string' || ev.data.length > MAX_MESSAGE) return;
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch {
        return;
      }
      const target = msg && Object.hasOwn(LEAVE_FOR, msg.type) ? LEAVE_FOR[msg.type] : null;
      if (!target) return;
      ended = true;
      if (!leaving) {
        leaving = true;
        location.replace(target);
      }
    });
    // A dropped socket (server restart, network) reconnects with backoff. Opening
    // the socket is not session activity, so this never keeps a session alive.
    ws.addEventListener('close', () => {
      if (ended || leaving) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}

setUpMenu();
watchSession();
