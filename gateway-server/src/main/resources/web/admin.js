/*
 * The admin dashboard: polls the admin API (docs/admin-api.md) with the admin token and draws what it finds.
 * The token stays in this tab's sessionStorage and is sent only to this gateway, as a bearer token.
 */
import {el, formatTime, formatDuration, formatBytes, formatNumber} from '/common.js';

(() => {
  const POLL_MS = 2000;
  const USERS_POLL_MS = 5000;
  const USERS_PAGE = 50;

  const $ = (id) => document.getElementById(id);
  const ui = {
    state: $('admin-state'), logout: $('admin-logout'), login: $('admin-login'), form: $('admin-login-form'),
    token: $('admin-token'), error: $('admin-error'), dashboard: $('dashboard'),
    connections: $('stat-connections'), transports: $('stat-transports'), users: $('stat-users'),
    authenticated: $('stat-authenticated'), rooms: $('stat-rooms'), rate: $('stat-rate'),
    delivered: $('stat-delivered'), node: $('stat-node'), uptime: $('stat-uptime'),
    chart: $('rate-chart'), busiest: document.querySelector('#busiest-rooms tbody'), roomsEmpty: $('rooms-empty'),
    onlineUsers: document.querySelector('#online-users tbody'), usersTotal: $('users-total'),
    usersMore: $('users-more'), detail: $('user-detail'), detailUser: $('detail-user'),
    detailRows: document.querySelector('#user-connections tbody'), disconnect: $('disconnect-user'),
    kicks: document.querySelector('#kicks tbody'), errors: document.querySelector('#errors tbody'),
    totals: document.querySelector('#totals tbody'),
  };

  let token = sessionStorage.getItem('admin.token');
  let timers = [];
  let detailUser = null;
  let lastPoints = [];

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, options) {
    const res = await fetch(`/api/${path}`, Object.assign({
      cache: 'no-store',
      headers: {'Authorization': `Bearer ${token}`},
    }, options || {}));
    let doc = null;
    try {
      doc = await res.json();
    } catch (e) {
      // fall through with no document
    }
    if (!res.ok) {
      throw new ApiError(res.status, doc && doc.error, (doc && doc.message) || `HTTP ${res.status}`);
    }
    return doc;
  }

  function setState(state, text) {
    ui.state.dataset.state = state;
    ui.state.textContent = text;
  }

  function fail(e) {
    if (e instanceof ApiError && (e.status === 401 || e.status === 403 || e.status === 404)) {
      signOut(e.status === 404 ? e.message : 'The token was refused.');
      return;
    }
    setState('reconnecting', `unreachable (${e.message}); retrying`);
  }

  // ---- polling

  async function pollStats() {
    try {
      const [stats, history, rooms] = await Promise.all([
        api('stats'), api('stats/history?seconds=300'), api('rooms?sort=size&limit=10')]);
      setState('connected', `live · ${formatTime(Date.now())}`);
      lastPoints = history.points;
      renderStats(stats);
      drawChart();
      renderRooms(rooms);
    } catch (e) {
      fail(e);
    }
  }

  async function pollUsers() {
    try {
      renderUsers(await api(`users?limit=${USERS_PAGE}`));
      if (detailUser) await showUser(detailUser, true);
    } catch (e) {
      fail(e);
    }
  }

  function renderStats(s) {
    ui.connections.textContent = formatNumber(s.connections);
    ui.transports.textContent = Object.entries(s.connectionsByTransport).map(([t, n]) => `${t} ${n}`).join(' · ');
    ui.users.textContent = formatNumber(s.users);
    ui.authenticated.textContent = `${formatNumber(s.authenticatedConnections)} authenticated connections`;
    ui.rooms.textContent = formatNumber(s.rooms);
    ui.node.textContent = s.node;
    ui.uptime.textContent = `${s.state} · up ${formatDuration(s.uptimeSeconds)}`;
    const last = lastPoints.length ? lastPoints[lastPoints.length - 1] : null;
    ui.rate.textContent = last ? formatNumber(last.received) : '0';
    ui.delivered.textContent = last ? `${formatNumber(last.delivered)} delivered / s` : '';
    const rows = (obj) => Object.entries(obj).map(([k, v]) => el('tr', {}, el('td', {}, k),
      el('td', {class: 'num'}, formatNumber(v))));
    ui.kicks.replaceChildren(...rows(s.kicks));
    ui.errors.replaceChildren(...rows(Object.fromEntries(Object.entries(s.errors).filter(([, v]) => v > 0))));
    ui.totals.replaceChildren(...rows({
      'connections opened': s.totalOpened, 'connections closed': s.totalClosed, 'refused (busy)': s.rejected,
      'frames in': s.messagesIn, 'frames out': s.messagesOut, 'deliveries': s.deliveries,
    }), el('tr', {}, el('td', {}, 'bytes in / out'),
      el('td', {class: 'num'}, `${formatBytes(s.bytesIn)} / ${formatBytes(s.bytesOut)}`)));
  }

  function renderRooms(doc) {
    ui.busiest.replaceChildren(...doc.rooms.map((r) => el('tr', {dataset: {room: r.name}},
      el('td', {}, r.name), el('td', {class: 'num'}, formatNumber(r.users)),
      el('td', {class: 'num'}, formatNumber(r.connections)))));
    ui.roomsEmpty.hidden = doc.rooms.length > 0;
  }

  function renderUsers(doc) {
    ui.usersTotal.textContent = `(${formatNumber(doc.total)})`;
    ui.onlineUsers.replaceChildren(...doc.users.map((u) => el('tr', {dataset: {user: u}},
      el('td', {}, u),
      el('td', {}, el('button', {type: 'button', class: 'small', onclick: () => showUser(u, false)},
        'connections')))));
    ui.usersMore.hidden = doc.next === null;
  }

  async function showUser(user, quiet) {
    detailUser = user;
    try {
      const doc = await api(`users/${encodeURIComponent(user)}`);
      ui.detail.hidden = false;
      ui.detailUser.textContent = user;
      ui.detailRows.replaceChildren(...doc.connections.map((c) => el('tr', {dataset: {conn: c.id}},
        el('td', {class: 'mono'}, c.id), el('td', {}, c.transport), el('td', {}, c.state),
        el('td', {class: 'mono'}, c.remoteAddress), el('td', {}, formatTime(c.createdAt)),
        el('td', {}, formatTime(c.lastActiveAt)), el('td', {class: 'num'}, formatBytes(c.bytesIn)),
        el('td', {class: 'num'}, formatBytes(c.bytesOut)), el('td', {class: 'num'}, formatNumber(c.messagesIn)),
        el('td', {class: 'num'}, formatNumber(c.messagesOut)), el('td', {}, c.rooms.join(', ')))));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code === 'not_found' && quiet) {
        detailUser = null;
        ui.detail.hidden = true;
        return;
      }
      if (!quiet) fail(e);
    }
  }

  // ---- chart

  function drawChart() {
    const canvas = ui.chart;
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 800;
    const height = canvas.clientHeight || 220;
    if (canvas.width !== Math.round(width * dpr)) canvas.width = Math.round(width * dpr);
    if (canvas.height !== Math.round(height * dpr)) canvas.height = Math.round(height * dpr);
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    const style = getComputedStyle(document.body);
    const left = 48;
    const bottom = height - 22;
    const top = 10;
    const right = width - 10;
    const spanMs = 300000;
    const now = lastPoints.length ? lastPoints[lastPoints.length - 1].t : Date.now();
    // Four grid steps of a round size, so that every label is a round number.
    const max = 4 * niceCeiling(Math.max(1, ...lastPoints.map((p) => Math.max(p.received, p.delivered))) / 4);

    g.font = '11px system-ui, sans-serif';
    g.fillStyle = style.getPropertyValue('--muted') || '#667';
    g.strokeStyle = style.getPropertyValue('--grid') || '#dde';
    g.lineWidth = 1;
    for (let i = 0; i <= 4; i++) {
      const y = bottom - (bottom - top) * i / 4;
      g.beginPath();
      g.moveTo(left, y);
      g.lineTo(right, y);
      g.stroke();
      g.fillText(formatNumber(max * i / 4), 4, y + 4);
    }
    for (let m = 0; m <= 5; m++) {
      const x = right - (right - left) * m / 5;
      g.fillText(m === 0 ? 'now' : `-${m}m`, x - 12, height - 6);
    }
    const series = (key, color) => {
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.beginPath();
      let started = false;
      for (const p of lastPoints) {
        const x = right - (now - p.t) / spanMs * (right - left);
        if (x < left) continue;
        const y = bottom - p[key] / max * (bottom - top);
        if (started) g.lineTo(x, y); else g.moveTo(x, y);
        started = true;
      }
      g.stroke();
    };
    series('delivered', style.getPropertyValue('--delivered') || '#e07b00');
    series('received', style.getPropertyValue('--received') || '#2457c5');
  }

  function niceCeiling(v) {
    const exp = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) {
      if (v <= m * exp) return m * exp;
    }
    return 10 * exp;
  }

  // ---- session

  function start() {
    ui.login.hidden = true;
    ui.dashboard.hidden = false;
    ui.logout.hidden = false;
    ui.error.textContent = '';
    setState('connecting', 'loading');
    pollStats();
    pollUsers();
    timers = [setInterval(pollStats, POLL_MS), setInterval(pollUsers, USERS_POLL_MS)];
  }

  function signOut(message) {
    timers.forEach(clearInterval);
    timers = [];
    token = null;
    detailUser = null;
    sessionStorage.removeItem('admin.token');
    ui.dashboard.hidden = true;
    ui.login.hidden = false;
    ui.logout.hidden = true;
    ui.error.textContent = message || '';
    setState('disconnected', 'signed out');
  }

  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    token = ui.token.value.trim();
    ui.token.value = '';
    if (!token) return;
    sessionStorage.setItem('admin.token', token);
    start();
  });
  ui.logout.addEventListener('click', () => signOut());
  ui.disconnect.addEventListener('click', async () => {
    if (!detailUser || !confirm(`Disconnect every connection of ${detailUser}?`)) return;
    try {
      const r = await api(`users/${encodeURIComponent(detailUser)}/disconnect`, {
        method: 'POST', headers: {'Authorization': `Bearer ${token}`}});
      ui.error.textContent = `${r.kicked} connection(s) kicked`;
    } catch (e) {
      fail(e);
    }
  });
  window.addEventListener('resize', drawChart);

  if (token) start();
  document.body.dataset.ready = 'true';
})();
