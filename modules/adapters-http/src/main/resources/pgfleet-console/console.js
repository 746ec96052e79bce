/*
 * pgfleet web console: a client of the public API (/api/v1), nothing else.
 *
 * Rules this file keeps (docs/console.md):
 * - Everything that comes from the server is put into the page as text (textContent, text nodes,
 *   input values); the page is never built from HTML strings, so a collector name, a label, a
 *   change message or a TOML document cannot inject markup or script.
 * - Tokens live in this script's memory only (no storage, no cookies): a reload logs out.
 * - Write controls are shown to operators and admins only; the server enforces the same roles.
 * - Every call goes to the API next to the page's own folder (<mount>/ui/ → <mount>/api/v1/), never
 *   to the origin's root: a reverse proxy may mount the server under a path prefix.
 */
'use strict';
(function () {
  const WRITERS = ['operator', 'admin'];
  const CONSOLE_ROLES = ['viewer', 'operator', 'admin'];
  const POLL_MS = 5000;

  // epoch counts sessions: an answer that arrives after the session it belongs to ended is dropped.
  const session = { access: null, refresh: null, subject: null, role: null, refreshTimer: null, epoch: 0 };
  let pageTimers = [];
  let pageToken = 0;
  const main = document.getElementById('main');

  // The API's base URL, from the page's own: the console is served at <mount>/ui/ and the API at
  // <mount>/api/v1/, where <mount> is the server's root or the path prefix under which a reverse
  // proxy serves it (https://ops.example/pgfleet/ui/ → https://ops.example/pgfleet/api/v1/). The
  // origin's root is the wrong place behind such a proxy, so no call uses an absolute path.
  const API_BASE = new URL('../api/v1/', document.baseURI).href;

  /**
   * The URL of an API path as the API names it (`/api/v1/collectors?…`, a body's `next` included),
   * under the API's base; anything else, or a path that would leave the API's folder, is refused.
   */
  function apiUrl(path) {
    if (!path.startsWith('/api/v1/')) throw new Error('the console only calls the API');
    const url = new URL(path.slice('/api/v1/'.length), API_BASE).href;
    if (!url.startsWith(API_BASE)) throw new Error('the console only calls the API');
    return url;
  }

  // ---------------------------------------------------------------- DOM helpers (text only)

  /** Creates an element; strings among the children become text nodes, never markup. */
  function h(tag, props, ...children) {
    const el = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = String(v);
        else if (k === 'value') el.value = v;
        else if (k === 'checked') el.checked = !!v;
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function enc(s) { return encodeURIComponent(s); }

  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    return isNaN(d) ? String(iso) : d.toLocaleString();
  }

  function ago(iso) {
    if (!iso) return 'never';
    const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.round(s / 60) + ' min ago';
    if (s < 86400) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function notice(kind, text) { return h('div', { class: 'notice ' + kind, role: kind === 'bad' ? 'alert' : 'status' }, text); }

  function canWrite() { return WRITERS.includes(session.role); }

  function link(hash, text, props) { return h('a', Object.assign({ href: hash }, props || {}), text); }

  function labelChips(labels) {
    return Object.entries(labels || {}).map(([k, v]) => h('span', { class: 'label' }, k + '=' + v));
  }

  // ---------------------------------------------------------------- API calls

  class ApiError extends Error {
    constructor(status, problem, retryAfter, fromServer) {
      super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
      this.status = status;
      this.problem = problem || {};
      this.retryAfter = retryAfter === undefined ? null : retryAfter;   // seconds, when the server said
      // False for an answer that is not the server's problem document: a proxy's or a load
      // balancer's page, which says nothing of the request itself.
      this.fromServer = fromServer === undefined ? true : fromServer;
    }
  }

  /** Retry-After in seconds (RFC 9110: a number of seconds or an HTTP date), or null without one. */
  function retryAfterSeconds(value) {
    if (!value) return null;
    if (/^\s*\d+\s*$/.test(value)) return Number(value);
    const at = Date.parse(value);
    return isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
  }

  async function problemOf(res) {
    const fromServer = (res.headers.get('Content-Type') || '').toLowerCase().startsWith('application/problem+json');
    let p = {};
    try { p = await res.json(); } catch (e) { p = {}; }
    return new ApiError(res.status, p, retryAfterSeconds(res.headers.get('Retry-After')), fromServer);
  }

  /** One API call with the session's token; a 401 is answered by one refresh and one retry. */
  async function api(method, path, opts) {
    opts = opts || {};
    const url = apiUrl(path);
    const epoch = session.epoch;
    const send = () => {
      const headers = Object.assign({}, opts.headers || {});
      if (session.access) headers['Authorization'] = 'Bearer ' + session.access;
      let body;
      if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
      else if (opts.toml !== undefined) { headers['Content-Type'] = 'application/toml'; body = opts.toml; }
      return fetch(url, { method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error' });
    };
    let res = await send();
    if (res.status === 401 && session.refresh && epoch === session.epoch) {
      if (await refreshTokens()) res = await send();
    }
    if (epoch !== session.epoch) throw new ApiError(401, { detail: 'logged out' });   // the session ended meanwhile
    if (res.status === 401) {
      endSession('Your session has ended; please log in again.');
      throw await problemOf(res);
    }
    return res;
  }

  async function apiJson(method, path, opts) {
    const res = await api(method, path, opts);
    if (!res.ok) throw await problemOf(res);
    return res.status === 204 ? null : res.json();
  }

  async function apiText(path) {
    const res = await api('GET', path);
    if (!res.ok) throw await problemOf(res);
    return { text: await res.text(), headers: res.headers };
  }

  // ---------------------------------------------------------------- session

  /** The server gave no answer at all: refused or reset connection, a proxy restarting, no network. */
  class Unreachable extends Error {}

  async function tokenCall(path, body) {
    const url = apiUrl(path);
    let res;
    try {
      res = await fetch(url, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
        cache: 'no-store', credentials: 'omit', redirect: 'error'
      });
    } catch (e) {
      throw new Unreachable('The server could not be reached (' + (e && e.message ? e.message : String(e)) + ').');
    }
    if (!res.ok) throw await problemOf(res);
    let t;
    try { t = await res.json(); } catch (e) { t = null; }
    if (!t || typeof t.access_token !== 'string' || typeof t.refresh_token !== 'string') {
      // A page in the server's stead (a captive portal, a proxy's 200): no tokens, and no verdict.
      throw new ApiError(res.status, { detail: 'The answer was not the server\'s (no tokens in it).' }, null, false);
    }
    if (!CONSOLE_ROLES.includes(t.role)) {
      // A collector's tokens are for its agent: the console is for people.
      throw new ApiError(403, { detail: 'Collectors cannot log in to the console.' });
    }
    return t;
  }

  function adopt(t) {
    session.access = t.access_token;
    session.refresh = t.refresh_token;
    session.subject = t.subject;
    session.role = t.role;
    clearTimeout(session.refreshTimer);
    // Refresh a little before the access token expires, so a page left open keeps working.
    const seconds = Math.max(5, Number(t.expires_in || 60) - 30);
    const epoch = session.epoch;
    session.refreshTimer = setTimeout(() => {
      refreshTokens().then(ok => { if (!ok && epoch === session.epoch) endSession('Your session has ended; please log in again.'); });
    }, seconds * 1000);
    renderHeader();
  }

  // A refresh that got no answer, or an answer that says "not now", leaves the refresh token unspent
  // and the session going: the server could not be reached (connection refused or reset, a load
  // balancer restarting), the session refreshed as often as it may (429 refresh-rate-exceeded), this
  // address failed too often or the server is busy (429 too-many-attempts, overloaded), the database
  // is unavailable, the instance stopping or a proxy has no server behind it (5xx), or a proxy answered
  // in the server's stead with a page of its own (any status but 401). The same token is
  // presented again after Retry-After, or without one after a back-off that doubles from 1 s up to
  // 60 s; a Retry-After counts up to 5 minutes. Nothing of the session is lost meanwhile: only the
  // server's refusal (401) or an answer of another kind ends it, and the refresh token's lifetime
  // (30 days) bounds how long an unreachable server is waited for (it answers 401 then).
  const REFRESH_BACKOFF_FIRST_S = 1;
  const REFRESH_BACKOFF_MAX_S = 60;
  const REFRESH_WAIT_MAX_S = 300;

  /**
   * True for a failure that says nothing about the session: try the same refresh token again. An
   * answer that is not the server's problem document (a proxy's 408 or 404 page while the server
   * restarts, a captive portal's 200) is no verdict either; a 401 is a refusal whoever sends it.
   */
  function refreshLater(e) {
    return e instanceof Unreachable
      || (e instanceof ApiError && (e.status === 429 || (e.status >= 500 && e.status <= 599)
        || (!e.fromServer && e.status !== 401)));
  }

  let refreshing = null;
  let refreshWake = null;   // ends the wait between two refresh attempts when the session ends
  function refreshTokens() {
    if (!session.refresh) return Promise.resolve(false);
    if (!refreshing) {
      const call = refreshUntilAnswered(session.epoch)
        .finally(() => { if (refreshing === call) refreshing = null; });
      refreshing = call;
    }
    return refreshing;
  }

  /** True once new tokens are adopted; false when the session is refused or ended meanwhile. */
  async function refreshUntilAnswered(epoch) {
    for (let waits = 0; ; waits++) {
      try {
        const t = await tokenCall('/api/v1/auth/refresh', { refresh_token: session.refresh });
        // A refresh answered after logging out (or after another login) must not bring that session
        // back: its tokens are dropped unread.
        if (epoch !== session.epoch) return false;
        sessionNote('');
        adopt(t);
        return true;
      } catch (e) {
        if (epoch !== session.epoch) return false;
        if (!refreshLater(e)) return false;
        const backoff = Math.min(REFRESH_BACKOFF_MAX_S, REFRESH_BACKOFF_FIRST_S * 2 ** Math.min(waits, 16));
        const said = e instanceof ApiError ? e.retryAfter : null;
        const seconds = said === null ? backoff : Math.min(REFRESH_WAIT_MAX_S, Math.max(1, said));
        if (e instanceof Unreachable) {
          sessionNote('Server unreachable; still logged in, trying again in ' + seconds + ' s.', e.message);
        } else {
          sessionNote('Session renewal postponed (' + e.status + (e.problem.title ? ' ' + e.problem.title : '')
            + '); trying again in ' + seconds + ' s.', e.message);
        }
        let wake;
        await new Promise(resolve => {
          const timer = setTimeout(resolve, seconds * 1000);
          wake = () => { clearTimeout(timer); resolve(); };
          refreshWake = wake;
        });
        if (refreshWake === wake) refreshWake = null;
        if (epoch !== session.epoch) return false;
      }
    }
  }

  /** A line in the header about the session's renewal, the server's words on hover; empty hides it. */
  function sessionNote(text, detail) {
    const note = document.getElementById('session-note');
    note.textContent = text;
    note.title = detail || '';
    note.hidden = !text;
  }

  function endSession(message) {
    session.epoch++;
    refreshing = null;
    if (refreshWake) refreshWake();
    sessionNote('');
    session.access = session.refresh = session.subject = session.role = null;
    clearTimeout(session.refreshTimer);
    renderHeader();
    renderLogin(message);
  }

  // ---------------------------------------------------------------- header and routing

  function renderHeader() {
    const top = document.getElementById('top');
    const nav = clear(document.getElementById('nav'));
    top.hidden = !session.access;
    if (!session.access) return;
    const here = '#/' + ((location.hash || '#/fleet').split('?')[0].split('/')[1] || 'fleet');
    const items = [['#/fleet', 'Fleet'], ['#/fleet-layer', 'Fleet layer'], ['#/groups', 'Groups'], ['#/rollouts', 'Rollouts']];
    if (session.role === 'admin') items.push(['#/audit', 'Audit']);
    for (const [hash, text] of items) {
      nav.append(link(hash, text, { class: here === hash ? 'active' : null, id: 'nav-' + hash.slice(2) }));
    }
    document.getElementById('who').textContent = session.subject + ' (' + session.role + ')';
  }

  document.getElementById('logout').addEventListener('click', () => {
    const refresh = session.refresh;
    endSession('Logged out.');
    // The page has forgotten the tokens; the server ends the session too, so that they stop working
    // everywhere (a copy taken from this page included). Should it not answer that it did, the page
    // says so: the session's tokens then work until they expire.
    if (refresh) {
      const untold = why => {
        const m = document.getElementById('login-message');
        if (m && !session.access) {
          m.textContent = 'Logged out here, but the server could not be told (' + why + '): this session\'s'
            + ' tokens stay valid until they expire. Log in and out again to end it.';
        }
      };
      fetch(apiUrl('/api/v1/auth/logout'), {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh_token: refresh }),
        cache: 'no-store', credentials: 'omit', redirect: 'error', keepalive: true
      }).then(r => { if (r.status !== 204) untold('it answered ' + r.status); }, () => untold('it did not answer'));
    }
  });

  function stopPage() {
    pageTimers.forEach(t => clearInterval(t));
    pageTimers = [];
    pageToken++;
  }

  function every(ms, fn) { pageTimers.push(setInterval(fn, ms)); }

  function page(title, ...children) {
    clear(main);
    document.title = title + ' · pgfleet';
    append(main, [h('h1', null, title), children]);
  }

  function route() {
    stopPage();
    renderHeader();
    if (!session.access) { renderLogin(); return; }
    const hash = location.hash.slice(1) || '/fleet';
    const q = hash.indexOf('?');
    const params = new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
    let parts;
    try {
      parts = (q >= 0 ? hash.slice(0, q) : hash).split('/').filter(Boolean).map(decodeURIComponent);
    } catch (e) {
      parts = ['fleet'];
    }
    const token = pageToken;
    const guard = p => Promise.resolve(p).catch(e => { if (token === pageToken) showFailure(e); });
    switch (parts[0]) {
      case 'collector': guard(renderCollector(parts[1] || '')); break;
      case 'edit': guard(renderEditor(docFor(parts[1], parts[2]))); break;
      case 'fleet-layer': guard(renderLayer(docFor('fleet'))); break;
      case 'groups': guard(parts[1] ? renderGroup(parts[1]) : renderGroups()); break;
      case 'audit': guard(renderAudit(params)); break;
      case 'rollouts': guard(parts[1] ? renderRollout(parts[1]) : renderRollouts(params)); break;
      default: guard(renderFleet(params));
    }
  }

  function showFailure(e) {
    main.append(notice('bad', e instanceof ApiError
      ? (e.status === 403 ? 'Not allowed: ' : 'The server answered ' + e.status + ': ') + e.message
      : e instanceof TypeError ? 'The server could not be reached (' + e.message + ').'
        : 'Failed: ' + e.message));
  }

  /**
   * True for a failure that says nothing about the request itself, so a live page keeps polling:
   * no answer at all (fetch rejects with a TypeError), 429, any 5xx, or a page a proxy sent in the
   * server's stead. A refusal of the server's own (a 4xx problem: a bad selector, a missing rollout)
   * is a verdict instead.
   */
  function passing(e) {
    return !(e instanceof ApiError) || e.status === 429 || e.status >= 500 || !e.fromServer;
  }

  /** Why a poll got no data, as the status line of a live page says it. */
  function whyNotUpdated(e) {
    if (!(e instanceof ApiError)) return 'the server could not be reached';
    return 'the server answered ' + e.status + (e.fromServer && e.message ? ' (' + e.message + ')' : '');
  }

  /**
   * The status line of a live page: "Updated <time>" after each poll that got data; after one that
   * got none, since when what the page shows has not been updated and why. The page keeps what it
   * showed last, so without this a stopped server would look like a fleet that does not change.
   */
  function liveStatus(el, ms) {
    let at = null;
    return {
      updated() {
        at = new Date();
        el.textContent = 'Updated ' + at.toLocaleTimeString() + ' · refreshes every ' + ms / 1000 + ' s';
        el.title = '';
        el.classList.remove('out-of-date');
      },
      failed(e) {
        el.textContent = 'Not updated' + (at ? ' since ' + at.toLocaleTimeString() : '') + ': ' + whyNotUpdated(e)
          + '; trying again every ' + ms / 1000 + ' s';
        el.title = e.message || '';
        el.classList.add('out-of-date');
      }
    };
  }

  /**
   * The first load of a live page, then its polling. A first load that gets no data for a passing
   * reason (the server stopped, restarting, overloaded) is said in the status line and polling starts
   * anyway, so the page fills in once the server is back; a refusal is thrown to the page's guard.
   */
  async function live(status, ms, load, finished) {
    const token = pageToken;
    const refresh = () => load().then(() => status.updated(), e => { status.failed(e); throw e; });
    try {
      await refresh();
    } catch (e) {
      if (!passing(e)) throw e;
    }
    if (token === pageToken) poll(ms, refresh, finished);   // not for a page left meanwhile
  }

  window.addEventListener('hashchange', route);

  // ---------------------------------------------------------------- login

  function renderLogin(message) {
    stopPage();
    clear(main);
    document.title = 'Log in · pgfleet';
    const user = h('input', { type: 'text', id: 'username', name: 'username', autocomplete: 'username', required: true });
    const pass = h('input', { type: 'password', id: 'password', name: 'password', autocomplete: 'current-password', required: true });
    const out = h('div', { id: 'login-message' }, message ? notice(message === 'Logged out.' ? 'good' : 'warn', message) : null);
    const button = h('button', { type: 'submit', class: 'primary', id: 'login-button' }, 'Log in');
    const form = h('form', { class: 'login', id: 'login-form', novalidate: true },
      h('h1', null, 'pgfleet console'),
      h('label', { for: 'username' }, 'User name'), user,
      h('label', { for: 'password' }, 'Password'), pass,
      button, out);
    form.addEventListener('submit', async ev => {
      ev.preventDefault();
      button.disabled = true;
      clear(out);
      try {
        adopt(await tokenCall('/api/v1/auth/login', { username: user.value, password: pass.value }));
        pass.value = '';
        if (!location.hash || location.hash === '#/login') location.hash = '#/fleet';
        route();
      } catch (e) {
        out.append(notice('bad', e.status === 401 ? 'Wrong user name or password.' : e.message));
      } finally {
        button.disabled = false;
      }
    });
    main.append(form);
    user.focus();
  }

  // ---------------------------------------------------------------- fleet

  async function renderFleet(params) {
    const selector = params.get('selector') || '';
    const show = params.get('show') || 'all';
    const limit = Math.min(500, Math.max(1, parseInt(params.get('limit') || '50', 10) || 50));
    const cursors = [];      // 'after' of each page shown before this one
    let after = params.get('after') || '';
    let next = null;

    const selectorInput = h('input', { type: 'search', id: 'selector', placeholder: 'env=prod,region=eu', value: selector, size: 30 });
    const showSelect = h('select', { id: 'show' },
      h('option', { value: 'all' }, 'all collectors'),
      h('option', { value: 'out-of-sync' }, 'out of sync'),
      h('option', { value: 'failed' }, 'failed to apply'));
    showSelect.value = show;
    const form = h('form', { class: 'toolbar', id: 'fleet-filter' },
      h('label', { for: 'selector' }, 'Label selector'), selectorInput, showSelect,
      h('button', { type: 'submit' }, 'Filter'));
    form.addEventListener('submit', ev => {
      ev.preventDefault();
      const p = new URLSearchParams();
      if (selectorInput.value.trim()) p.set('selector', selectorInput.value.trim());
      if (showSelect.value !== 'all') p.set('show', showSelect.value);
      location.hash = '#/fleet' + (p.toString() ? '?' + p : '');
    });
    const status = h('span', { class: 'muted', id: 'fleet-updated' });
    const body = h('tbody', { id: 'fleet-rows' });
    const prev = h('button', { type: 'button', id: 'fleet-prev' }, '← Previous');
    const nextButton = h('button', { type: 'button', id: 'fleet-next' }, 'Next →');
    const table = h('table', { id: 'fleet' },
      h('thead', null, h('tr', null, ['Id', 'Name', 'Labels', 'Latest', 'Applied', 'In sync', 'Apply status', 'Last seen']
        .map(t => h('th', null, t)))), body);
    page('Fleet', form, h('div', { class: 'pager' }, prev, nextButton, status), table);

    const token = pageToken;
    async function load() {
      const p = new URLSearchParams();
      p.set('limit', String(limit));
      if (selector) p.set('selector', selector);
      // Out of sync as the gauge and its alert count it: seen and not in sync (never seen is its own state).
      if (show !== 'all') { p.set('in_sync', 'false'); p.set('never_seen', 'false'); }
      const asked = after;
      if (asked) p.set('after', asked);
      const fleet = await apiJson('GET', '/api/v1/collectors?' + p);
      // Left meanwhile, or moved to another page of the list (a poll was on its way at the click):
      // this answer is of a page no longer shown.
      if (token !== pageToken || asked !== after) return;
      next = fleet.next;
      let rows = fleet.collectors;
      // The API filters on sync; "failed" narrows the page to failed applies.
      if (show === 'failed') rows = rows.filter(c => c.apply_status === 'FAILED');
      clear(body);
      for (const c of rows) body.append(fleetRow(c));
      if (rows.length === 0) body.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No collector matches.')));
      prev.disabled = cursors.length === 0;
      nextButton.disabled = !next;
    }
    const line = liveStatus(status, POLL_MS);
    const loadShown = () => load().then(() => line.updated(), e => { line.failed(e); throw e; });
    prev.addEventListener('click', () => { after = cursors.pop() || ''; loadShown().catch(showFailure); });
    nextButton.addEventListener('click', () => {
      if (!next) return;
      cursors.push(after);
      after = new URL(apiUrl(next)).searchParams.get('after') || '';
      loadShown().catch(showFailure);
    });
    // Live: the page polls the fleet view, so new reports show without a reload.
    await live(line, POLL_MS, load);
  }

  function fleetRow(c) {
    const state = c.never_seen ? h('span', { class: 'badge info never-seen', title: 'no agent has reported for it yet' }, 'never seen')
      : c.status_from_backup ? h('span', { class: 'badge warn from-backup', title: 'status restored from a backup; not heard from since' }, 'unknown since restore')
      : c.in_sync ? h('span', { class: 'badge ok' }, 'in sync') : h('span', { class: 'badge bad' }, 'out of sync');
    const sync = [state,
      // Not just out of sync: a rollback could not take it back, and nothing will until its own document is fixed.
      c.left_behind ? h('span', { class: 'badge warn left-behind', title: c.left_behind.reason },
        'left on ' + c.left_behind.staged + ' by rollout ' + c.left_behind.rollout) : null];
    const applyStatus = c.apply_status === 'FAILED'
      ? [h('span', { class: 'badge bad' }, 'FAILED'), c.apply_error ? h('div', { class: 'error-text' }, c.apply_error) : null]
      : c.apply_status ? h('span', { class: 'badge ok' }, c.apply_status) : h('span', { class: 'muted' }, '—');
    return h('tr', { class: c.stale ? 'stale' : null, dataset: { id: c.id, inSync: String(c.in_sync) } },
      h('td', null, link('#/collector/' + enc(c.id), c.id, { class: 'collector-link' }), c.revoked ? h('span', { class: 'badge warn' }, 'revoked') : null),
      h('td', null, c.name || ''),
      h('td', null, labelChips(c.labels)),
      h('td', { class: 'latest' }, String(c.latest_version)),
      h('td', { class: 'applied' }, String(c.applied_version)),
      h('td', null, sync),
      h('td', null, applyStatus),
      h('td', { class: 'last-seen', title: c.last_seen_at || '' }, ago(c.last_seen_at), c.stale ? ' · stale' : ''));
  }

  // ---------------------------------------------------------------- versioned documents

  /** The API paths of one versioned document: a collector's own layer, the fleet layer or a group's layer. */
  function docFor(kind, id) {
    if (kind === 'collector') {
      const base = '/api/v1/config/' + enc(id);
      return { kind, id, title: 'Collector ' + id, base, latest: base + '/own', back: '#/collector/' + enc(id), edit: '#/edit/collector/' + enc(id) };
    }
    if (kind === 'group') {
      const base = '/api/v1/groups/' + enc(id) + '/config';
      return { kind, id, title: 'Group ' + id + ' layer', base, latest: base, back: '#/groups/' + enc(id), edit: '#/edit/group/' + enc(id) };
    }
    const base = '/api/v1/fleet/config';
    return { kind: 'fleet', id: '', title: 'Fleet layer', base, latest: base, back: '#/fleet-layer', edit: '#/edit/fleet' };
  }

  /** The latest version of a document, or null when it has none yet. */
  async function latestOf(doc) {
    const res = await api('GET', doc.latest);
    if (res.status === 404) {
      const p = await problemOf(res);
      if (p.problem.type && p.problem.type.endsWith('/no-configuration')) return null;
      throw p;
    }
    if (!res.ok) throw await problemOf(res);
    return { text: await res.text(), etag: res.headers.get('ETag'), version: parseInt(res.headers.get('X-Config-Version'), 10) };
  }

  /** History with version pickers, a side-by-side diff of any two versions, and rollback. */
  function historySection(doc, onChange) {
    const section = h('section', { id: 'history' }, h('h2', null, 'History'));
    const rows = h('tbody');
    const table = h('table', { id: 'history-table' }, h('thead', null, h('tr', null,
      ['From', 'To', 'Version', 'Published', 'By', 'Message', 'Source', ''].map(t => h('th', null, t)))), rows);
    const more = h('button', { type: 'button', id: 'history-more', class: 'hidden' }, 'Older versions');
    const diffButton = h('button', { type: 'button', id: 'show-diff' }, 'Show diff');
    const diffOut = h('div', { id: 'diff-out' });
    const out = h('div');
    append(section, [out, table, h('div', { class: 'toolbar' }, more, diffButton), diffOut]);
    let next = doc.base + '/versions?limit=20';
    let latest = null;
    let count = 0;

    async function loadPage() {
      const page = await apiJson('GET', next);
      for (const v of page.versions) {
        if (!latest) latest = v;
        rows.append(historyRow(v, count === 1, count === 0));
        count++;
      }
      next = page.next && page.next.startsWith('/api/v1/') ? page.next : null;
      more.classList.toggle('hidden', !next);
      if (count === 0) rows.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No version published yet.')));
      diffButton.disabled = count < 2;
    }

    function historyRow(v, from, to) {
      const cells = [
        h('td', null, h('input', { type: 'radio', name: 'diff-from', value: v.version, checked: from, 'aria-label': 'diff from ' + v.version })),
        h('td', null, h('input', { type: 'radio', name: 'diff-to', value: v.version, checked: to, 'aria-label': 'diff to ' + v.version })),
        h('td', null, String(v.version)),
        h('td', { title: v.created_at }, fmtTime(v.created_at)),
        h('td', null, v.created_by),
        h('td', { class: 'message' }, v.message || ''),
        h('td', null, sourceCell(v.source))];
      const action = h('td');
      if (canWrite() && latest && v.version !== latest.version) {
        action.append(h('button', { type: 'button', class: 'danger rollback', dataset: { version: v.version }, onclick: () => confirmRollback(v) },
          'Roll back to ' + v.version));
      }
      cells.push(action);
      return h('tr', { dataset: { version: v.version } }, cells);
    }

    function confirmRollback(v) {
      const message = h('input', { type: 'text', id: 'rollback-message', size: 40, value: 'roll back to version ' + v.version });
      const yes = h('button', { type: 'button', class: 'primary', id: 'rollback-confirm' }, 'Roll back');
      const no = h('button', { type: 'button', id: 'rollback-cancel' }, 'Cancel');
      const result = h('div');
      const dialog = h('dialog', { id: 'rollback-dialog' },
        h('h2', null, 'Roll back to version ' + v.version + '?'),
        h('p', null, 'Version ' + v.version + "'s document is published again as a new version. It is refused if someone published after version "
          + latest.version + ' (the latest you see).'),
        h('label', { for: 'rollback-message' }, 'Message '), message,
        h('div', { class: 'toolbar' }, yes, no), result);
      no.addEventListener('click', () => { dialog.close(); dialog.remove(); });
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        try {
          const res = await api('POST', doc.base + '/rollback', {
            json: { to_version: v.version, message: message.value }, headers: { 'If-Match': latest.etag }
          });
          if (res.status === 412) {
            clear(result).append(notice('warn', 'Someone published meanwhile (now version ' + ((await problemOf(res)).problem.current_version || '?')
              + '); nothing was rolled back. Reload the history and decide again.'));
            return;
          }
          if (!res.ok) { clear(result).append(notice('bad', (await problemOf(res)).message)); return; }
          const done = await res.json();
          dialog.close(); dialog.remove();
          out.append(notice('good', 'Rolled back: version ' + done.version + ' has version ' + v.version + "'s document."));
          onChange();
        } catch (e) {
          clear(result).append(notice('bad', e.message));
        } finally {
          yes.disabled = false;
        }
      });
      document.body.append(dialog);
      dialog.showModal();
    }

    more.addEventListener('click', () => loadPage().catch(showFailure));
    diffButton.addEventListener('click', async () => {
      const from = section.querySelector('input[name=diff-from]:checked');
      const to = section.querySelector('input[name=diff-to]:checked');
      if (!from || !to) return;
      await showDiff(doc, Number(from.value), Number(to.value), diffOut).catch(showFailure);
    });
    section.ready = loadPage();
    return section;
  }

  /** A version's source; one written by a rollout (rollout:N, rollout-rollback:N) links to it. */
  function sourceCell(source) {
    const m = /^rollout(?:-rollback)?:(\d+)$/.exec(source || '');
    return m ? link('#/rollouts/' + m[1], source, { class: 'rollout-source' }) : (source || '');
  }

  async function showDiff(doc, from, to, into) {
    const { text } = await apiText(doc.base + '/diff?from=' + from + '&to=' + to);
    clear(into).append(h('h2', null, 'Version ' + from + ' → version ' + to), sideBySide(text));
  }

  /**
   * Lays the server's unified diff out side by side: removed lines on the left, added on the
   * right, paired in order within a change. The diff itself is the server's.
   */
  function sideBySide(unified) {
    const body = h('tbody');
    const table = h('table', { class: 'diff side-by-side', id: 'diff' },
      h('colgroup', null, h('col', { class: 'num' }), h('col'), h('col', { class: 'num' }), h('col')), body);
    if (!unified.trim()) {
      body.append(h('tr', null, h('td', { colspan: 4, class: 'muted' }, 'The two versions are identical.')));
      return table;
    }
    let left = 0, right = 0;
    let dels = [], adds = [];
    const cell = (num, text, kind) => [h('td', { class: 'num' }, num === null ? '' : String(num)),
      h('td', { class: kind + (kind === 'del' ? ' left' : kind === 'add' ? ' right' : '') }, text === null ? '' : text)];
    const flush = () => {
      const n = Math.max(dels.length, adds.length);
      for (let i = 0; i < n; i++) {
        const d = dels[i], a = adds[i];
        body.append(h('tr', { class: 'change' },
          d ? cell(d[0], d[1], 'del') : cell(null, null, 'empty'),
          a ? cell(a[0], a[1], 'add') : cell(null, null, 'empty')));
      }
      dels = []; adds = [];
    };
    for (const line of unified.split('\n')) {
      if (line.startsWith('---') || line.startsWith('+++')) continue;
      const m = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(line);
      if (m) {
        flush();
        left = Number(m[1]); right = Number(m[2]);
        body.append(h('tr', { class: 'hunk' }, h('td', { colspan: 4 }, line)));
      } else if (line.startsWith('-')) {
        dels.push([left++, line.slice(1)]);
      } else if (line.startsWith('+')) {
        adds.push([right++, line.slice(1)]);
      } else if (line.startsWith(' ')) {
        flush();
        body.append(h('tr', null, cell(left++, line.slice(1), 'same'), cell(right++, line.slice(1), 'same')));
      }
    }
    flush();
    return table;
  }

  // ---------------------------------------------------------------- collector

  async function renderCollector(id) {
    const doc = docFor('collector', id);
    const token = pageToken;
    const actions = h('div', { class: 'toolbar' },
      canWrite() ? link(doc.edit, 'Edit its own layer', { id: 'edit-link', class: 'button' }) : null,
      link('#/fleet', '← Fleet'));
    const effective = h('section', { id: 'effective' }, h('h2', null, 'Effective configuration'));
    const own = h('section', { id: 'own' }, h('h2', null, 'Own layer'));
    const samples = h('section', { id: 'samples' }, h('h2', null, 'Recent samples (15 min)'));
    const history = historySection(doc, () => route());
    page('Collector ' + id, actions, h('div', { class: 'columns' }, effective, own), history, samples);

    const [eff, latest] = await Promise.all([
      apiJson('GET', '/api/v1/collectors/' + enc(id) + '/effective').catch(e => e),
      latestOf(doc).catch(e => e)]);
    if (token !== pageToken) return;
    if (eff instanceof Error) effective.append(notice('bad', eff.message));
    else {
      effective.append(h('p', { class: 'muted' }, 'Revision ' + (eff.revision === null ? '—' : eff.revision) + ' · sources: '
        + (eff.sources.length ? eff.sources.join(', ') : 'defaults only') + (eff.valid ? '' : ' · INVALID')));
      const rows = Object.entries(eff.keys).map(([k, v]) => h('tr', { dataset: { key: k } },
        h('td', null, k), h('td', null, JSON.stringify(v.value)), h('td', null, v.source)));
      effective.append(h('table', { class: 'kv', id: 'effective-keys' },
        h('thead', null, h('tr', null, h('th', null, 'Key'), h('th', null, 'Value'), h('th', null, 'From'))), h('tbody', null, rows)));
    }
    if (latest instanceof Error) own.append(notice('bad', latest.message));
    else if (!latest) own.append(h('p', { class: 'muted' }, 'No own document yet.'));
    else own.append(h('p', { class: 'muted' }, 'Version ' + latest.version), h('pre', { class: 'doc', id: 'own-doc' }, latest.text));
    await history.ready;
    await renderSamples(id, samples, token);
  }

  // Pages of samples one collector page reads at most: 50,000 samples, a few MB.
  const SAMPLE_PAGES = 5;

  async function renderSamples(id, into, token) {
    const since = new Date(Date.now() - 15 * 60 * 1000).toISOString();
    // Read on with each answer's next: a page ends at 10,000 samples or 4 MiB, and an agent's
    // run stamps all of its samples with one instant, so the newest minutes may be pages away.
    let path = '/api/v1/collectors/' + enc(id) + '/metrics?since=' + enc(since) + '&limit=10000';
    const samples = [];
    for (let pages = 0; path && pages < SAMPLE_PAGES; pages++) {
      const data = await apiJson('GET', path);
      if (token !== pageToken) return;
      for (const s of data.samples) samples.push(s);
      path = data.next;
    }
    const byName = new Map();
    for (const s of samples) {
      const series = Object.entries(s.labels || {}).map(([k, v]) => k + '=' + v).join(',') || s.name;
      if (!byName.has(s.name)) byName.set(s.name, new Map());
      const m = byName.get(s.name);
      if (!m.has(series)) m.set(series, []);
      m.get(series).push([Date.parse(s.ts) / 1000, s.value]);
    }
    if (byName.size === 0) { into.append(h('p', { class: 'muted' }, 'No samples in the last 15 minutes.')); return; }
    if (path) {
      into.append(h('p', { class: 'muted', id: 'samples-cut' }, 'Showing the oldest ' + samples.length.toLocaleString('en')
        + ' samples of the last 15 minutes; more were stored.'));
    }
    const charts = h('div', { class: 'charts', id: 'charts' });
    into.append(charts);
    const names = [...byName.keys()].sort().slice(0, 24);
    if (byName.size > names.length) into.append(h('p', { class: 'muted' }, 'Showing 24 of ' + byName.size + ' metrics.'));
    const colours = ['#1f5fbf', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d'];
    for (const name of names) {
      const series = [...byName.get(name).entries()].slice(0, 8);
      const xs = [...new Set(series.flatMap(([, pts]) => pts.map(p => p[0])))].sort((a, b) => a - b);
      const index = new Map(xs.map((x, i) => [x, i]));
      const ys = series.map(([, pts]) => {
        const y = new Array(xs.length).fill(null);
        for (const [x, v] of pts) y[index.get(x)] = v;
        return y;
      });
      const box = h('div', { class: 'chart', dataset: { metric: name } });
      charts.append(box);
      // uPlot writes titles and legend labels as text, never as markup.
      new uPlot({
        title: name, width: 330, height: 150, legend: { show: true },
        series: [{}].concat(series.map(([label], i) => ({ label, stroke: colours[i % colours.length], spanGaps: true }))),
        axes: [{ size: 30 }, { size: 50 }]
      }, [xs].concat(ys), box);
    }
  }

  // ---------------------------------------------------------------- editor

  async function renderEditor(doc) {
    if (!canWrite()) {
      page(doc.title, notice('warn', 'Publishing needs the operator or admin role; your role is ' + session.role + '.'),
        link(doc.back, '← Back'));
      return;
    }
    const token = pageToken;
    let base = await latestOf(doc);
    if (token !== pageToken) return;
    const wrap = h('div', { class: 'editor-wrap' });
    const errors = h('ul', { class: 'errors', id: 'validation-errors' });
    const state = h('span', { class: 'muted', id: 'validation-state' });
    const message = h('input', { type: 'text', id: 'change-message', size: 50, placeholder: 'what changes and why' });
    const publish = h('button', { type: 'button', class: 'primary', id: 'publish' }, 'Publish');
    const result = h('div', { id: 'publish-result' });
    const baseInfo = h('p', { class: 'muted', id: 'editing-base' });
    const staged = doc.kind === 'collector' ? null : stagedRolloutForm();
    page('Edit: ' + doc.title, baseInfo, wrap, h('div', { class: 'toolbar' }, state), errors,
      h('div', { class: 'toolbar' }, h('label', { for: 'change-message' }, 'Change message'), message, publish, link(doc.back, 'Cancel')),
      staged, result);
    const showBase = () => {
      baseInfo.textContent = base ? 'Editing from version ' + base.version + ' (If-Match ' + base.etag + ')' : 'No version yet: this publishes version 1.';
    };
    showBase();

    let marked = [];
    const editor = CodeMirror(wrap, {
      value: base ? base.text : '', mode: 'toml', lineNumbers: true, gutters: ['CodeMirror-lint-markers'],
      lint: { getAnnotations: validate, async: true, delay: 400 }
    });

    function markErrors(list) {
      marked.forEach(l => editor.removeLineClass(l, 'background', 'cm-error-line'));
      marked = [];
      clear(errors);
      for (const e of list) {
        const line = Math.max(1, e.line || 1);
        if (line <= editor.lineCount()) {
          marked.push(editor.addLineClass(line - 1, 'background', 'cm-error-line'));
        }
        errors.append(h('li', { dataset: { line: line } }, (e.layer ? e.layer + ' ' : '') + 'line ' + line
          + (e.column ? ', column ' + e.column : '') + (e.key ? ' (' + e.key + ')' : '') + ': ' + e.message));
      }
    }

    function annotations(list) {
      return list.map(e => {
        const line = Math.max(0, Math.min(editor.lineCount() - 1, (e.line || 1) - 1));
        const ch = Math.max(0, (e.column || 1) - 1);
        return { from: CodeMirror.Pos(line, ch), to: CodeMirror.Pos(line, editor.getLine(line).length), message: e.message, severity: 'error' };
      });
    }

    // Validation as you type: the lint addon calls this (debounced); the server's schema decides.
    async function validate(text, update) {
      if (token !== pageToken) return;
      if (!text.trim()) { markErrors([]); state.textContent = 'Empty document'; update([]); return; }
      state.textContent = 'Checking…';
      try {
        const res = await api('POST', '/api/v1/config/validate', { toml: text });
        if (editor.getValue() !== text) return;   // a newer check is on its way
        if (res.ok) {
          markErrors([]);
          state.textContent = 'Valid';
          state.className = 'badge ok';
          update([]);
        } else {
          const p = (await problemOf(res)).problem;
          const list = Array.isArray(p.errors) ? p.errors : [{ line: 1, message: p.detail || p.title || 'refused' }];
          markErrors(list);
          state.textContent = list.length + (list.length === 1 ? ' error' : ' errors');
          state.className = 'badge bad';
          update(annotations(list));
        }
      } catch (e) {
        state.textContent = 'Could not check: ' + e.message;
      }
    }

    submits(publish, async () => {
      const headers = {};
      if (base) headers['If-Match'] = base.etag;
      if (message.value.trim()) {
        // A header carries ASCII only: other text travels as RFC 8187's UTF-8'' form, which the server decodes.
        const m = message.value.trim();
        headers['X-Change-Message'] = /^[\x20-\x7e]*$/.test(m) && !/^utf-8''/i.test(m)
          ? m : "UTF-8''" + encodeURIComponent(m).replace(/['()*!]/g, c => '%' + c.charCodeAt(0).toString(16).toUpperCase());
      }
      const text = editor.getValue();
      const res = await api('PUT', doc.base, { toml: text, headers });
      if (res.status === 201 || res.status === 200) {
        const v = await res.json();
        result.append(notice('good', res.status === 201
          ? 'Published version ' + v.version + (v.effective_changed !== undefined ? ' (' + v.effective_changed + ' collectors changed)' : '') + '.'
          : 'Nothing to publish: version ' + v.version + ' already has this document.'));
        base = { text, etag: v.etag, version: v.version };
        showBase();
        markErrors([]);
      } else if (res.status === 412) {
        await showConflict((await problemOf(res)).problem);
      } else {
        await showRefusal(res);
      }
    });

    /**
     * What the publish and rollout buttons share: the button stays disabled while its action runs, the
     * result area starts empty, and a failure the action did not expect (network, bad answer) is shown
     * there rather than lost in the browser's console.
     */
    function submits(button, action) {
      button.addEventListener('click', async () => {
        button.disabled = true;
        clear(result);
        try {
          await action();
        } catch (e) {
          result.append(notice('bad', e.message));
        } finally {
          button.disabled = false;
        }
      });
    }

    /** A refusal of a publish or a rollout: a 422 marks its errors at their lines, any other says why. */
    async function showRefusal(res) {
      const p = await problemOf(res);
      if (res.status === 422) refused(p.problem);
      else refusedOther(p);
    }

    /** A 422: the errors are marked at their lines, as validation marks them. */
    function refused(p) {
      const list = Array.isArray(p.errors) ? p.errors
        : (p.members || []).flatMap(m => (m.errors || []).map(e => Object.assign({}, e, { message: m.collector_id + ': ' + e.message })));
      markErrors(list);
      editor.performLint();
      result.append(notice('bad', 'Refused, nothing was stored: ' + (p.detail || p.title)));
    }

    /** Any other refusal; a layer held by a rollout links to it. */
    function refusedOther(e) {
      result.append(notice('bad', e.message));
      if (Number.isInteger(e.problem.rollout)) {
        result.append(h('p', null, link('#/rollouts/' + e.problem.rollout, 'Open rollout ' + e.problem.rollout, { id: 'holding-rollout' })));
      }
    }

    /**
     * "Publish as staged rollout": the same document, sent to the layer's members wave by wave
     * (POST /api/v1/rollouts). The API takes no If-Match for a rollout, so the editor checks first
     * that nobody published since the version it started from, and shows the change as a 412 would.
     */
    function stagedRolloutForm() {
      const field = (id, label, input) => [h('label', { for: id }, label), input];
      const waves = h('input', { type: 'text', id: 'rollout-waves', size: 32, value: 'canary=true; 25%; 100%' });
      const bake = h('input', { type: 'number', id: 'rollout-bake', min: 0, max: 86400, value: 60 });
      const maxFailed = h('input', { type: 'number', id: 'rollout-max-failed', min: 0, max: 100000, value: 0 });
      const deadline = h('input', { type: 'number', id: 'rollout-deadline', min: 1, max: 86400, value: 600 });
      const start = h('button', { type: 'button', class: 'primary', id: 'rollout-start' }, 'Start rollout');
      submits(start, async () => {
        let list;
        try { list = parseWaves(waves.value); } catch (e) { result.append(notice('bad', e.message)); return; }
        const now = await latestOf(doc);
        if ((now ? now.version : null) !== (base ? base.version : null)) {
          await showConflict({ current_version: now ? now.version : null });
          return;
        }
        const body = {
          layer: doc.kind === 'fleet' ? 'fleet' : 'group/' + doc.id, document: editor.getValue(), message: message.value.trim(),
          waves: list, bake_seconds: Number(bake.value), max_failed: Number(maxFailed.value), apply_deadline_seconds: Number(deadline.value)
        };
        const res = await api('POST', '/api/v1/rollouts', { json: body });
        if (res.status === 201) {
          const r = await res.json();
          location.hash = '#/rollouts/' + r.id;
        } else {
          await showRefusal(res);
        }
      });
      return h('details', { id: 'staged-rollout', class: 'staged' }, h('summary', null, 'Publish as staged rollout'),
        h('p', { class: 'muted' }, 'Waves, separated by ";": a label selector (canary=true) or a cumulative percentage of the members '
          + '(25%); the last is 100%. Each wave waits for its collectors\' agents to apply the version, then bakes; more failures '
          + 'than allowed roll the layer back.'),
        h('div', { class: 'toolbar' }, field('rollout-waves', 'Waves', waves), field('rollout-bake', 'Bake (s)', bake),
          field('rollout-max-failed', 'Max failed per wave', maxFailed), field('rollout-deadline', 'Apply deadline (s)', deadline), start));
    }

    /** A 412: show what was published since the version this edit started from. */
    async function showConflict(problem) {
      const now = await latestOf(doc);
      const box = h('div', { id: 'conflict' }, notice('warn', 'Someone published version ' + (now ? now.version : problem.current_version)
        + ' while you were editing' + (base ? ' version ' + base.version : '') + '. Nothing was stored. What changed meanwhile:'));
      if (base && now) box.append(sideBySide((await apiText(doc.base + '/diff?from=' + base.version + '&to=' + now.version)).text));
      else if (now) box.append(h('pre', { class: 'doc' }, now.text));
      const keep = h('button', { type: 'button', id: 'conflict-keep' }, 'Keep my text, publish over version ' + (now ? now.version : '?'));
      const take = h('button', { type: 'button', id: 'conflict-take' }, 'Discard my text, load version ' + (now ? now.version : '?'));
      keep.addEventListener('click', () => { base = now; showBase(); box.remove(); });
      take.addEventListener('click', () => { base = now; showBase(); editor.setValue(now ? now.text : ''); box.remove(); });
      box.append(h('div', { class: 'toolbar' }, keep, take));
      result.append(box);
    }
  }

  /** "canary=true; 25%; 100%" → [{selector: {canary: "true"}}, {percent: 25}, {percent: 100}]; the server checks the rest. */
  function parseWaves(text) {
    const items = text.split(/[;\n]/).map(x => x.trim()).filter(Boolean);
    if (!items.length) throw new Error('Give at least one wave, e.g. "canary=true; 25%; 100%".');
    return items.map(item => {
      const m = /^(\d+)\s*%?$/.exec(item);
      if (m) return { percent: Number(m[1]) };
      const selector = {};
      for (const pair of item.split(',')) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new Error('Wave "' + item + '" is neither a percentage (25%) nor a label selector (canary=true).');
        selector[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
      }
      return { selector };
    });
  }

  // ---------------------------------------------------------------- fleet and group layers

  async function renderLayer(doc, before) {
    const token = pageToken;
    const current = h('section', { id: 'layer' }, h('h2', null, 'Latest version'));
    const history = historySection(doc, () => route());
    page(doc.title, before || null, h('div', { class: 'toolbar' }, canWrite() ? link(doc.edit, 'Edit this layer', { id: 'edit-link' }) : null),
      current, history);
    // The banner is a help, not the page: without it (a failed read) the layer still shows.
    const [latest, holding] = await Promise.all([latestOf(doc), activeRolloutOf(doc).catch(() => null)]);
    if (token !== pageToken) return;
    if (holding) {
      current.before(h('div', { id: 'layer-rollout' }, notice('warn', 'Rollout ' + holding.id + ' is ' + holding.state
        + ' (wave ' + holding.current_wave + ' of ' + holding.wave_count + ') with staged version ' + holding.staged_version
        + '; the layer cannot be published or rolled back until it completes or is aborted. '),
      link('#/rollouts/' + holding.id, 'Open rollout ' + holding.id)));
    }
    if (!latest) current.append(h('p', { class: 'muted' }, 'No version yet: this layer sets nothing.'));
    else current.append(h('p', { class: 'muted' }, 'Version ' + latest.version), h('pre', { class: 'doc', id: 'layer-doc' }, latest.text));
    await history.ready;
  }

  /** The running or paused rollout holding a layer (at most one per layer), or null. */
  async function activeRolloutOf(doc) {
    const layer = doc.kind === 'fleet' ? 'fleet' : 'group/' + doc.id;
    const lists = await Promise.all(['running', 'paused'].map(state => apiJson('GET', '/api/v1/rollouts?limit=100&state=' + state)));
    return lists.flatMap(l => l.rollouts).find(r => r.layer === layer) || null;
  }

  async function renderGroups() {
    const token = pageToken;
    const body = h('tbody', { id: 'group-rows' });
    page('Groups', h('p', { class: 'muted' }, 'A group applies its layer to every collector whose labels match its selector; higher priority wins.'),
      h('table', { id: 'groups' }, h('thead', null, h('tr', null,
        ['Group', 'Selector', 'Priority', 'Layer version', 'Description'].map(t => h('th', null, t)))), body));
    const groups = await apiJson('GET', '/api/v1/groups');
    if (token !== pageToken) return;
    for (const g of groups.groups) {
      body.append(h('tr', null, h('td', null, link('#/groups/' + enc(g.id), g.id)), h('td', null, labelChips(g.selector)),
        h('td', null, String(g.priority)), h('td', null, g.config_version === null ? '—' : String(g.config_version)),
        h('td', null, g.description || '')));
    }
    if (!groups.groups.length) body.append(h('tr', null, h('td', { colspan: 5, class: 'muted' }, 'No group yet.')));
  }

  async function renderGroup(id) {
    const token = pageToken;
    const g = await apiJson('GET', '/api/v1/groups/' + enc(id));
    if (token !== pageToken) return;
    const members = h('ul', { id: 'members' });
    const more = h('button', { type: 'button', class: 'hidden' }, 'More members');
    const info = h('section', null,
      h('p', null, 'Selector: ', labelChips(g.selector), ' · priority ' + g.priority),
      g.description ? h('p', null, g.description) : null,
      h('h2', null, 'Members'), members, more, link('#/groups', '← Groups'));
    let next = '/api/v1/groups/' + enc(id) + '/members?limit=100';
    const loadMembers = async () => {
      const page = await apiJson('GET', next);
      for (const m of page.members) members.append(h('li', null, link('#/collector/' + enc(m), m)));
      next = page.next && page.next.startsWith('/api/v1/') ? page.next : null;
      more.classList.toggle('hidden', !next);
    };
    more.addEventListener('click', () => loadMembers().catch(showFailure));
    await renderLayer(docFor('group', id), info);
    await loadMembers();
  }

  // ---------------------------------------------------------------- audit

  async function renderAudit(params) {
    const fields = [['collector_id', 'Collector'], ['actor', 'Actor'], ['action', 'Action'], ['since', 'Since (RFC 3339)'], ['until', 'Until'], ['limit', 'Limit']];
    const inputs = {};
    const form = h('form', { class: 'toolbar', id: 'audit-filter' }, fields.map(([name, label]) => {
      inputs[name] = h('input', { type: 'text', id: 'audit-' + name, name, value: params.get(name) || '', size: name === 'limit' ? 5 : 16 });
      return [h('label', { for: 'audit-' + name }, label), inputs[name]];
    }), h('button', { type: 'submit' }, 'Filter'));
    form.addEventListener('submit', ev => {
      ev.preventDefault();
      const p = new URLSearchParams();
      for (const [name] of fields) if (inputs[name].value.trim()) p.set(name, inputs[name].value.trim());
      location.hash = '#/audit' + (p.toString() ? '?' + p : '');
    });
    const body = h('tbody', { id: 'audit-rows' });
    page('Audit', form, h('table', { id: 'audit' }, h('thead', null, h('tr', null,
      ['At', 'Actor', 'Address', 'Action', 'Collector', 'Version', 'Detail'].map(t => h('th', null, t)))), body));
    const token = pageToken;
    const q = new URLSearchParams();
    for (const [name] of fields) if (params.get(name)) q.set(name, params.get(name));
    const trail = await apiJson('GET', '/api/v1/audit' + (q.toString() ? '?' + q : ''));
    if (token !== pageToken) return;
    for (const e of trail.entries) {
      body.append(h('tr', null, h('td', { title: e.at }, fmtTime(e.at)), h('td', null, e.actor), h('td', null, e.address || ''),
        h('td', null, e.action), h('td', null, e.collector_id ? link('#/collector/' + enc(e.collector_id), e.collector_id) : (e.username || '')),
        h('td', null, e.version === null || e.version === undefined ? '' : String(e.version)), h('td', { class: 'detail' }, e.detail || '')));
    }
    if (!trail.entries.length) body.append(h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No entry matches.')));
  }

  // ---------------------------------------------------------------- rollouts

  const ROLLOUT_STATES = ['running', 'paused', 'completed', 'rolled_back'];
  const ROLLOUT_POLL_MS = 2000;

  function stateBadge(state) {
    const kind = state === 'completed' || state === 'passed' ? 'ok' : state === 'rolled_back' ? 'bad'
      : state === 'paused' ? 'warn' : state === 'running' ? 'info' : 'none';
    return h('span', { class: 'badge state ' + kind, dataset: { state } }, state.replace('_', ' '));
  }

  /** The console page of a layer named as the API names it (`fleet`, `group/<id>`). */
  function layerLink(layer) {
    if (layer === 'fleet') return link('#/fleet-layer', 'fleet layer');
    if (layer.startsWith('group/')) return link('#/groups/' + enc(layer.slice('group/'.length)), layer);
    return layer;
  }

  function waveSpecText(spec) {
    if (spec.percent !== undefined) return spec.percent + ' %';
    return Object.entries(spec.selector || {}).map(([k, v]) => k + '=' + v).join(',');
  }

  /**
   * Live without a reload, but bounded: one poll at a time, none while the tab is hidden, none
   * once the page is left (stopPage clears the interval).
   */
  function poll(ms, load, finished) {
    let busy = false;
    every(ms, () => {
      if (busy || document.hidden || (finished && finished())) return;
      busy = true;
      load().catch(() => { }).finally(() => { busy = false; });
    });
  }

  async function renderRollouts(params) {
    const state = ROLLOUT_STATES.includes(params.get('state')) ? params.get('state') : '';
    const select = h('select', { id: 'rollout-state' }, h('option', { value: '' }, 'all states'),
      ROLLOUT_STATES.map(s => h('option', { value: s }, s.replace('_', ' '))));
    select.value = state;
    select.addEventListener('change', () => { location.hash = '#/rollouts' + (select.value ? '?state=' + select.value : ''); });
    // Keyset pages, newest first, as the API gives them (`next`, `before`); Newer goes back through the cursors seen.
    const limit = Math.min(100, Math.max(1, parseInt(params.get('limit') || '50', 10) || 50));
    const cursors = [];
    let before = params.get('before') || '';
    let next = null;
    const newer = h('button', { type: 'button', id: 'rollouts-newer' }, '← Newer');
    const older = h('button', { type: 'button', id: 'rollouts-older' }, 'Older →');
    const status = h('span', { class: 'muted', id: 'rollouts-updated' });
    const body = h('tbody', { id: 'rollout-rows' });
    page('Rollouts', h('p', { class: 'muted' }, 'A staged rollout sends a new version of the fleet layer or of a group\'s layer to a few '
      + 'collectors first and goes on wave by wave as their agents report it applied; a failure rolls the layer back. '
      + (canWrite() ? 'Start one from the editor of the fleet layer or of a group\'s layer (Publish as staged rollout).' : '')),
    h('div', { class: 'toolbar' }, h('label', { for: 'rollout-state' }, 'State'), select, newer, older, status),
    h('table', { id: 'rollouts' }, h('thead', null, h('tr', null,
      ['Rollout', 'Layer', 'Version', 'State', 'Wave', 'Started', 'By', 'Message'].map(t => h('th', null, t)))), body));
    const token = pageToken;
    let shown = '';
    async function load() {
      const asked = before;
      const list = await apiJson('GET', '/api/v1/rollouts?limit=' + limit + (state ? '&state=' + state : '')
        + (asked ? '&before=' + enc(asked) : ''));
      if (token !== pageToken || asked !== before) return;   // as the fleet's: a page no longer shown
      next = list.next && list.next.startsWith('/api/v1/') ? list.next : null;
      newer.disabled = cursors.length === 0;
      older.disabled = !next;
      const json = JSON.stringify(list.rollouts);
      if (json === shown) return;   // unchanged: keep the rows (and whatever the user is pointing at)
      shown = json;
      clear(body);
      for (const r of list.rollouts) {
        body.append(h('tr', { dataset: { id: r.id, state: r.state } },
          h('td', null, link('#/rollouts/' + r.id, 'Rollout ' + r.id, { class: 'rollout-link' })),
          h('td', null, layerLink(r.layer)),
          h('td', null, (r.previous_version === null ? '—' : String(r.previous_version)) + ' → ' + r.staged_version),
          h('td', null, stateBadge(r.state)),
          h('td', null, r.current_wave + ' of ' + r.wave_count),
          h('td', { title: r.created_at }, fmtTime(r.created_at)),
          h('td', null, r.created_by),
          h('td', { class: 'message' }, r.message || '')));
      }
      if (!list.rollouts.length) body.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No rollout' + (state ? ' is ' + state.replace('_', ' ') : ' yet') + '.')));
    }
    const line = liveStatus(status, POLL_MS);
    const loadShown = () => load().then(() => line.updated(), e => { line.failed(e); throw e; });
    newer.addEventListener('click', () => { before = cursors.pop() || ''; loadShown().catch(showFailure); });
    older.addEventListener('click', () => {
      if (!next) return;
      cursors.push(before);
      before = new URL(apiUrl(next)).searchParams.get('before') || '';
      loadShown().catch(showFailure);
    });
    await live(line, POLL_MS, load);
  }

  async function renderRollout(id) {
    const path = '/api/v1/rollouts/' + enc(id);
    const token = pageToken;
    const out = h('div', { id: 'rollout-result' });
    const view = h('div', { id: 'rollout' });
    const status = h('span', { class: 'muted', id: 'rollout-updated' });
    page('Rollout ' + id, h('div', { class: 'toolbar' }, link('#/rollouts', '← Rollouts'), status), out, view);
    let shown = '';
    let finished = false;
    const liveLine = liveStatus(status, ROLLOUT_POLL_MS);

    async function load() {
      const r = await apiJson('GET', path);
      if (token !== pageToken) return;
      const active = r.state === 'running' || r.state === 'paused';
      if (active) liveLine.updated();
      else { status.textContent = 'Finished: no longer refreshing'; status.classList.remove('out-of-date'); }
      const json = JSON.stringify(r);
      if (json !== shown) {
        shown = json;
        clear(view).append(...rolloutView(r));
      }
      finished = !active;   // a finished rollout does not change any more: polling stops
    }

    function rolloutView(r) {
      const parts = [];
      parts.push(h('table', { class: 'kv', id: 'rollout-info' }, h('tbody', null,
        h('tr', null, h('th', null, 'Layer'), h('td', null, layerLink(r.layer))),
        h('tr', null, h('th', null, 'State'), h('td', { id: 'rollout-state-value' }, stateBadge(r.state),
          ' wave ' + r.current_wave + ' of ' + r.wave_count)),
        h('tr', null, h('th', null, 'Version'), h('td', null, 'staged version ' + r.staged_version + ', replacing '
          + (r.previous_version === null ? 'no version' : 'version ' + r.previous_version))),
        h('tr', null, h('th', null, 'Started'), h('td', { title: r.created_at }, fmtTime(r.created_at) + ' by ' + r.created_by)),
        h('tr', null, h('th', null, 'Message'), h('td', { class: 'message' }, r.message || '—')),
        h('tr', null, h('th', null, 'Policy'), h('td', null, 'bake ' + r.bake_seconds + ' s · at most ' + r.max_failed
          + ' failed per wave · apply deadline ' + r.apply_deadline_seconds + ' s')),
        r.ended_at ? h('tr', null, h('th', null, 'Ended'), h('td', { title: r.ended_at }, fmtTime(r.ended_at))) : null,
        r.driver ? h('tr', null, h('th', null, 'Driven by'), h('td', null, r.driver)) : null)));
      if (r.reason) parts.push(notice(r.state === 'rolled_back' ? 'bad' : 'good', r.reason));
      if (r.failures && r.failures.length) {
        parts.push(h('h2', null, 'Failing collectors'), h('table', { id: 'rollout-failures' },
          h('thead', null, h('tr', null, h('th', null, 'Collector'), h('th', null, 'Error'))),
          h('tbody', null, r.failures.map(f => h('tr', { dataset: { id: f.collector_id } },
            h('td', null, link('#/collector/' + enc(f.collector_id), f.collector_id)),
            h('td', { class: 'error-text' }, f.error))))));
      }
      const stranded = r.not_rolled_back;
      if (stranded && stranded.total > 0) {
        // They still run what they ran: their own layers do not compose with the version published again.
        parts.push(h('h2', null, 'Not rolled back (' + stranded.total + ')'), h('table', { id: 'rollout-not-rolled-back' },
          h('thead', null, h('tr', null, h('th', null, 'Collector'), h('th', null, 'Why, and what it keeps'))),
          h('tbody', null, stranded.members.map(f => h('tr', { dataset: { id: f.collector_id } },
            h('td', null, link('#/collector/' + enc(f.collector_id), f.collector_id)),
            h('td', { class: 'error-text' }, f.error))))));
      }
      if (canWrite() && (r.state === 'running' || r.state === 'paused')) parts.push(controls(r));
      parts.push(h('h2', null, 'Waves'), h('table', { id: 'waves' },
        h('thead', null, h('tr', null, ['Wave', 'Takes', 'State', 'Members', 'Applied', 'Failed', 'Pending', 'Skipped', 'Progress', 'Collectors']
          .map(t => h('th', null, t)))),
        h('tbody', null, r.waves.map(w => {
          const reported = w.applied + w.failed;
          const listed = w.collectors.concat(w.skipped_collectors);
          const skipped = new Set(w.skipped_collectors);
          const total = w.members + w.skipped;
          return h('tr', { class: 'wave', dataset: { wave: w.wave, state: w.state } },
            h('td', null, String(w.wave)),
            h('td', null, waveSpecText(w.spec)),
            h('td', null, stateBadge(w.state)),
            h('td', { class: 'members' }, String(w.members)),
            h('td', { class: 'applied' }, String(w.applied)),
            h('td', { class: 'failed' + (w.failed ? ' some' : '') }, String(w.failed)),
            h('td', { class: 'pending' }, String(w.pending)),
            h('td', { class: 'skipped' }, String(w.skipped)),
            // A wave with nobody to wait for (every member stale) has nothing to show progress of.
            h('td', { class: 'progress' }, w.members
              ? [h('progress', { max: w.members, value: reported, title: reported + ' of ' + w.members + ' reported' }),
                  ' ' + reported + '/' + w.members]
              : h('span', { class: 'muted' }, 'no member to wait for')),
            h('td', { class: 'wave-collectors' }, listed.map((c, i) => [i ? ', ' : '', link('#/collector/' + enc(c), c),
              skipped.has(c) ? h('span', { class: 'muted skipped-mark', title: 'stale or never seen when the rollout started: not waited for' }, ' (skipped)') : '']),
              total > listed.length ? ' … and ' + (total - listed.length) + ' more' : ''));
        }))));
      parts.push(h('h2', null, 'Timeline'), h('table', { id: 'timeline' },
        h('thead', null, h('tr', null, ['At', 'What', 'Detail', 'By'].map(t => h('th', null, t)))),
        h('tbody', null, r.timeline.slice().reverse().map(e => h('tr', { dataset: { kind: e.kind } },
          h('td', { title: e.at }, fmtTime(e.at)), h('td', null, e.kind.replace('_', ' ')), h('td', null, e.detail), h('td', null, e.by || ''))))));
      return parts;
    }

    /** Pause / resume / promote / abort, as the rollout's state allows (the server checks again: 409). */
    function controls(r) {
      const bar = h('div', { class: 'toolbar', id: 'rollout-actions' });
      const command = async (name, button) => {
        button.disabled = true;
        clear(out);
        try {
          const res = await api('POST', path + '/' + name);
          if (!res.ok) { out.append(notice('bad', (await problemOf(res)).message)); return; }
          out.append(notice('good', name === 'abort' ? 'Aborted: the layer was rolled back.' : name === 'promote'
            ? 'Promoted: the staged version is now the layer\'s current version for every member.' : name === 'pause'
              ? 'Paused: no wave is judged or started until it is resumed.' : 'Resumed.'));
          shown = '';
          await load();
        } catch (e) {
          out.append(notice('bad', e.message));
        } finally {
          button.disabled = false;
        }
      };
      const button = (name, text, cls) => {
        const b = h('button', { type: 'button', id: 'rollout-' + name, class: cls || null }, text);
        b.addEventListener('click', () => name === 'abort' ? confirmAbort(r, () => command(name, b)) : command(name, b));
        return b;
      };
      if (r.state === 'running') bar.append(button('pause', 'Pause'));
      if (r.state === 'paused') bar.append(button('resume', 'Resume', 'primary'));
      bar.append(button('promote', 'Promote to every member'), button('abort', 'Abort and roll back', 'danger'));
      return bar;
    }

    function confirmAbort(r, onYes) {
      const yes = h('button', { type: 'button', class: 'danger', id: 'abort-confirm' }, 'Abort and roll back');
      const no = h('button', { type: 'button', id: 'abort-cancel' }, 'Cancel');
      const dialog = h('dialog', { id: 'abort-dialog' },
        h('h2', null, 'Abort rollout ' + r.id + '?'),
        h('p', null, 'The layer ' + r.layer + ' is rolled back now: version ' + (r.previous_version === null ? '(none)' : r.previous_version)
          + '\'s document is published again and every collector that received version ' + r.staged_version + ' gets its previous '
          + 'configuration back. This cannot be undone; start a new rollout to try again.'),
        h('div', { class: 'toolbar' }, yes, no));
      const close = () => { dialog.close(); dialog.remove(); };
      no.addEventListener('click', close);
      yes.addEventListener('click', () => { close(); onYes(); });
      document.body.append(dialog);
      dialog.showModal();
    }

    await live({ updated() { }, failed: e => liveLine.failed(e) }, ROLLOUT_POLL_MS, load, () => finished);
  }

  route();
})();
