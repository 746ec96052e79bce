/*
 * pgfleet web console: a client of the public API (/api/v1), nothing else.
 *
 * Rules this file keeps (docs/console.md):
 * - Everything that comes from the server is put into the page as text (textContent, text nodes,
 *   input values); the page is never built from HTML strings, so a collector name, a label, a
 *   change message or a TOML document cannot inject markup or script.
 * - Tokens live in this script's memory only (no storage, no cookies): a reload logs out.
 * - Write controls are shown to operators and admins only; the server enforces the same roles.
 */
'use strict';
(function () {
  const WRITERS = ['operator', 'admin'];
  const CONSOLE_ROLES = ['viewer', 'operator', 'admin'];
  const POLL_MS = 5000;

  const session = { access: null, refresh: null, subject: null, role: null, refreshTimer: null };
  let pageTimers = [];
  let pageToken = 0;
  const main = document.getElementById('main');

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
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || ('HTTP ' + status));
      this.status = status;
      this.problem = problem || {};
    }
  }

  async function problemOf(res) {
    let p = {};
    try { p = await res.json(); } catch (e) { p = {}; }
    return new ApiError(res.status, p);
  }

  /** One API call with the session's token; a 401 is answered by one refresh and one retry. */
  async function api(method, path, opts) {
    opts = opts || {};
    if (!path.startsWith('/api/v1/')) throw new Error('the console only calls the API');
    const send = () => {
      const headers = Object.assign({}, opts.headers || {});
      if (session.access) headers['Authorization'] = 'Bearer ' + session.access;
      let body;
      if (opts.json !== undefined) { headers['Content-Type'] = 'application/json'; body = JSON.stringify(opts.json); }
      else if (opts.toml !== undefined) { headers['Content-Type'] = 'application/toml'; body = opts.toml; }
      return fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error' });
    };
    let res = await send();
    if (res.status === 401 && session.refresh) {
      if (await refreshTokens()) res = await send();
    }
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

  async function tokenCall(path, body) {
    const res = await fetch(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', redirect: 'error'
    });
    if (!res.ok) throw await problemOf(res);
    const t = await res.json();
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
    session.refreshTimer = setTimeout(() => {
      refreshTokens().then(ok => { if (!ok) endSession('Your session has ended; please log in again.'); });
    }, seconds * 1000);
    renderHeader();
  }

  let refreshing = null;
  function refreshTokens() {
    if (!session.refresh) return Promise.resolve(false);
    if (!refreshing) {
      refreshing = tokenCall('/api/v1/auth/refresh', { refresh_token: session.refresh })
        .then(t => { adopt(t); return true; }, () => false)
        .finally(() => { refreshing = null; });
    }
    return refreshing;
  }

  function endSession(message) {
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

  document.getElementById('logout').addEventListener('click', () => endSession('Logged out.'));

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
      case 'rollouts': renderRollouts(); break;
      default: guard(renderFleet(params));
    }
  }

  function showFailure(e) {
    main.append(notice('bad', e instanceof ApiError
      ? (e.status === 403 ? 'Not allowed: ' : 'The server answered ' + e.status + ': ') + e.message
      : 'Failed: ' + e.message));
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
      if (show !== 'all') p.set('in_sync', 'false');
      if (after) p.set('after', after);
      const fleet = await apiJson('GET', '/api/v1/collectors?' + p);
      if (token !== pageToken) return;
      next = fleet.next;
      let rows = fleet.collectors;
      // The API filters on sync; "failed" narrows the page to failed applies.
      if (show === 'failed') rows = rows.filter(c => c.apply_status === 'FAILED');
      clear(body);
      for (const c of rows) body.append(fleetRow(c));
      if (rows.length === 0) body.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No collector matches.')));
      prev.disabled = cursors.length === 0;
      nextButton.disabled = !next;
      status.textContent = 'Updated ' + new Date().toLocaleTimeString() + ' · refreshes every ' + POLL_MS / 1000 + ' s';
    }
    prev.addEventListener('click', () => { after = cursors.pop() || ''; load().catch(showFailure); });
    nextButton.addEventListener('click', () => {
      if (!next) return;
      cursors.push(after);
      after = new URL(next, location.origin).searchParams.get('after') || '';
      load().catch(showFailure);
    });
    await load();
    // Live: the page polls the fleet view, so new reports show without a reload.
    every(POLL_MS, () => { load().catch(() => { }); });
  }

  function fleetRow(c) {
    const sync = c.in_sync ? h('span', { class: 'badge ok' }, 'in sync') : h('span', { class: 'badge bad' }, 'out of sync');
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
        h('td', null, v.source)];
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

  async function renderSamples(id, into, token) {
    const since = new Date(Date.now() - 15 * 60 * 1000).toISOString();
    const data = await apiJson('GET', '/api/v1/collectors/' + enc(id) + '/metrics?since=' + enc(since) + '&limit=10000');
    if (token !== pageToken) return;
    const byName = new Map();
    for (const s of data.samples) {
      const series = Object.entries(s.labels || {}).map(([k, v]) => k + '=' + v).join(',') || s.name;
      if (!byName.has(s.name)) byName.set(s.name, new Map());
      const m = byName.get(s.name);
      if (!m.has(series)) m.set(series, []);
      m.get(series).push([Date.parse(s.ts) / 1000, s.value]);
    }
    if (byName.size === 0) { into.append(h('p', { class: 'muted' }, 'No samples in the last 15 minutes.')); return; }
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
    page('Edit: ' + doc.title, baseInfo, wrap, h('div', { class: 'toolbar' }, state), errors,
      h('div', { class: 'toolbar' }, h('label', { for: 'change-message' }, 'Change message'), message, publish, link(doc.back, 'Cancel')),
      result);
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

    publish.addEventListener('click', async () => {
      publish.disabled = true;
      clear(result);
      try {
        const headers = {};
        if (base) headers['If-Match'] = base.etag;
        if (message.value.trim()) {
          // An HTTP header carries Latin-1 only; say so rather than fail inside fetch.
          if (!/^[\x20-\x7e\xa0-\xff]*$/.test(message.value.trim())) {
            result.append(notice('bad', 'The change message travels in an HTTP header, which carries only Latin-1 characters; '
              + 'please write it without characters such as emoji or non-Latin scripts.'));
            return;
          }
          headers['X-Change-Message'] = message.value.trim();
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
        } else if (res.status === 422) {
          const p = (await problemOf(res)).problem;
          const list = Array.isArray(p.errors) ? p.errors
            : (p.members || []).flatMap(m => m.errors.map(e => Object.assign({}, e, { message: m.collector_id + ': ' + e.message })));
          markErrors(list);
          editor.performLint();
          result.append(notice('bad', 'Refused, nothing was stored: ' + p.detail));
        } else {
          result.append(notice('bad', (await problemOf(res)).message));
        }
      } catch (e) {
        result.append(notice('bad', e.message));
      } finally {
        publish.disabled = false;
      }
    });

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

  // ---------------------------------------------------------------- fleet and group layers

  async function renderLayer(doc, before) {
    const token = pageToken;
    const current = h('section', { id: 'layer' }, h('h2', null, 'Latest version'));
    const history = historySection(doc, () => route());
    page(doc.title, before || null, h('div', { class: 'toolbar' }, canWrite() ? link(doc.edit, 'Edit this layer', { id: 'edit-link' }) : null),
      current, history);
    const latest = await latestOf(doc);
    if (token !== pageToken) return;
    if (!latest) current.append(h('p', { class: 'muted' }, 'No version yet: this layer sets nothing.'));
    else current.append(h('p', { class: 'muted' }, 'Version ' + latest.version), h('pre', { class: 'doc', id: 'layer-doc' }, latest.text));
    await history.ready;
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

  function renderRollouts() {
    // The place for staged rollouts (waves, pause/resume/promote/abort) once the API offers them.
    page('Rollouts', h('p', { class: 'muted', id: 'rollouts-unavailable' },
      'Staged rollouts are not offered by this server yet. Changes published here reach every collector they apply to at once.'));
  }

  route();
})();
