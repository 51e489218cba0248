/*
 * The admin dashboard: polls the admin API (docs/admin-api.md) with the admin token, draws what it finds, and
 * acts through it (messages, broadcast, room membership, disconnects). The token stays in this tab's
 * sessionStorage and is sent only to this gateway, as a bearer token. When the gateway says its admin API is off
 * (GET /client-config: adminApi false), no token is asked for: the page says how to turn the API on.
 */
import {el, clientConfig, formatTime, formatDuration, formatBytes, formatNumber, bodyText, notifier}
  from '/common.js';

const POLL_MS = 2000;
const USERS_POLL_MS = 5000;
const USERS_PAGE = 50;
const ROOM_MEMBERS = 200;
const ROOM_HISTORY = 20;
const TOKEN_KEY = 'admin.token';

const $ = (id) => document.getElementById(id);
const ui = {
  state: $('admin-state'), logout: $('admin-logout'), off: $('admin-off'), login: $('admin-login'),
  form: $('admin-login-form'), token: $('admin-token'), error: $('admin-error'), dashboard: $('dashboard'),
  connections: $('stat-connections'), transports: $('stat-transports'), users: $('stat-users'),
  authenticated: $('stat-authenticated'), rooms: $('stat-rooms'), rate: $('stat-rate'),
  delivered: $('stat-delivered'), node: $('stat-node'), uptime: $('stat-uptime'),
  cluster: $('cluster'), clusterSummary: $('cluster-summary'), clusterNodes: document.querySelector('#cluster-nodes tbody'),
  chart: $('rate-chart'), busiest: document.querySelector('#busiest-rooms tbody'), roomsEmpty: $('rooms-empty'),
  roomOpenForm: $('room-open-form'), roomOpenName: $('room-open-name'),
  onlineUsers: document.querySelector('#online-users tbody'), usersTotal: $('users-total'),
  userSearchForm: $('user-search-form'), userSearch: $('user-search'),
  usersPrev: $('users-prev'), usersNext: $('users-next'), usersPage: $('users-page'),
  detail: $('user-detail'), detailUser: $('detail-user'),
  detailRows: document.querySelector('#user-connections tbody'), disconnect: $('disconnect-user'),
  closeUser: $('close-user'),
  roomDetail: $('room-detail'), detailRoom: $('detail-room'), closeRoom: $('close-room'),
  roomMembers: $('room-members'), roomMembersCount: $('room-members-count'), roomMembersEmpty: $('room-members-empty'),
  roomHistory: document.querySelector('#room-history tbody'), roomHistoryNote: $('room-history-note'),
  roomHistoryPosition: $('room-history-position'),
  kicks: document.querySelector('#kicks tbody'), errors: document.querySelector('#errors tbody'),
  totals: document.querySelector('#totals tbody'),
};
const notify = notifier($('notices'));

let token = null;
let timers = [];
let detailUser = null;
let detailRoom = null;
let lastPoints = [];
/** Users listing: the prefix searched for and the cursor (`after`) of each page so far; the last is shown. */
const users = {prefix: '', cursors: [null], next: null};

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options = {}) {
  const headers = {'Authorization': `Bearer ${token}`};
  const init = {cache: 'no-store', method: options.method || 'GET', headers};
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  const res = await fetch(`/api/${path}`, init);
  let doc = null;
  try {
    doc = await res.json();
  } catch (e) {
    // no document
  }
  if (!res.ok) throw new ApiError(res.status, doc && doc.error, (doc && doc.message) || `HTTP ${res.status}`);
  return doc;
}

const enc = encodeURIComponent;

function setState(state, text) {
  ui.state.dataset.state = state;
  ui.state.textContent = text;
}

/** A failed poll: a refused token ends the session; anything else is shown and polled again. */
function fail(e) {
  if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
    signOut('The token was refused.');
    return true;
  }
  if (e instanceof ApiError && e.status === 404 && e.message.startsWith('the admin API is off')) {
    showOff();
    return true;
  }
  setState('reconnecting', `unreachable (${e.message}); retrying`);
  return false;
}

// ---- polling

async function pollStats() {
  try {
    const [stats, history, rooms] = await Promise.all([
      api('stats'), api('stats/history?seconds=300'), api('rooms?sort=size&limit=10')]);
    setState('connected', `live · ${formatTime(Date.now())}`);
    lastPoints = history.points;
    renderStats(stats);
    renderCluster(stats.cluster);
    drawChart();
    renderRooms(rooms);
  } catch (e) {
    fail(e);
  }
}

async function pollUsers() {
  try {
    const after = users.cursors[users.cursors.length - 1];
    let q = `users?limit=${USERS_PAGE}`;
    if (users.prefix) q += `&prefix=${enc(users.prefix)}`;
    if (after !== null) q += `&after=${enc(after)}`;
    renderUsers(await api(q));
  } catch (e) {
    fail(e);
  }
  if (detailUser) await showUser(detailUser, true);
  if (detailRoom) await showRoom(detailRoom, true);
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

/** The cluster's nodes, as /api/stats reports them when the gateway runs in a cluster. */
function renderCluster(cluster) {
  ui.cluster.hidden = !cluster;
  if (!cluster) return;
  const nodes = cluster.nodes || [];
  ui.clusterSummary.textContent = `${nodes.length} node${nodes.length === 1 ? '' : 's'} · broker ` +
    `${cluster.brokerState}${cluster.complete ? '' : ' · incomplete: only this node could be listed'}` +
    (cluster.total ? ` · ${formatNumber(cluster.total.connections)} connections in all` : '');
  ui.clusterNodes.replaceChildren(...nodes.map((n) => el('tr', {dataset: {node: n.node}, class: n.self ? 'self' : ''},
    el('td', {class: 'mono'}, n.self ? `${n.node} (this node)` : n.node),
    el('td', {class: 'num'}, formatNumber(n.connections)), el('td', {class: 'num'}, formatNumber(n.users)),
    el('td', {class: 'num'}, formatNumber(n.rooms)), el('td', {class: 'num'}, formatNumber(n.messagesIn)),
    el('td', {}, n.updatedAtMillis ? formatTime(n.updatedAtMillis) : ''))));
}

function renderRooms(doc) {
  ui.busiest.replaceChildren(...doc.rooms.map((r) => el('tr', {dataset: {room: r.name}},
    el('td', {}, el('button', {type: 'button', class: 'link', onclick: () => showRoom(r.name, false)}, r.name)),
    el('td', {class: 'num'}, formatNumber(r.users)),
    el('td', {class: 'num'}, formatNumber(r.connections)))));
  ui.roomsEmpty.hidden = doc.rooms.length > 0;
}

function renderUsers(doc) {
  users.next = doc.next;
  const page = users.cursors.length;
  const first = (page - 1) * USERS_PAGE + 1;
  ui.usersTotal.textContent = users.prefix ? `(${formatNumber(doc.total)} matching “${users.prefix}”)`
    : `(${formatNumber(doc.total)})`;
  ui.usersPage.textContent = doc.count === 0 ? 'none' : `${first}–${first + doc.count - 1} of ${formatNumber(doc.total)}`;
  ui.usersPrev.disabled = page <= 1;
  ui.usersNext.disabled = doc.next === null;
  ui.onlineUsers.replaceChildren(...doc.users.map((u) => el('tr', {dataset: {user: u}},
    el('td', {}, u),
    el('td', {class: 'row-actions'},
      el('button', {type: 'button', class: 'small', onclick: () => showUser(u, false)}, 'connections'),
      el('button', {type: 'button', class: 'small', onclick: () => {
        $('send-user').value = u;
        $('kick-user').value = u;
        $('member-user').value = u;
        $('send-text').focus();
      }}, 'act')))));
}

async function showUser(user, quiet) {
  detailUser = user;
  try {
    const doc = await api(`users/${enc(user)}`);
    ui.detail.hidden = false;
    ui.detailUser.textContent = user;
    ui.detailRows.replaceChildren(...doc.connections.map((c) => el('tr', {dataset: {conn: c.id}},
      el('td', {class: 'mono'}, c.id), el('td', {}, c.transport), el('td', {}, c.state),
      el('td', {class: 'mono'}, c.remoteAddress), el('td', {}, formatTime(c.createdAt)),
      el('td', {}, formatTime(c.lastActiveAt)), el('td', {class: 'num'}, formatBytes(c.bytesIn)),
      el('td', {class: 'num'}, formatBytes(c.bytesOut)), el('td', {class: 'num'}, formatNumber(c.messagesIn)),
      el('td', {class: 'num'}, formatNumber(c.messagesOut)), el('td', {}, c.rooms.join(', ')))));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.code === 'not_found') {
      if (quiet) {
        detailUser = null;
        ui.detail.hidden = true;
      } else {
        notify(`${user} has no connection on this node.`, 'warn');
      }
      return;
    }
    if (!quiet) fail(e);
  }
}

/** A room's members (each with a remove button) and recent messages. */
async function showRoom(room, quiet) {
  detailRoom = room;
  ui.roomDetail.hidden = false;
  ui.detailRoom.textContent = room;
  if (!quiet) $('member-room').value = room;
  if (!quiet) $('publish-room').value = room;
  const [members, history] = await Promise.allSettled([
    api(`rooms/${enc(room)}?limit=${ROOM_MEMBERS}`), api(`rooms/${enc(room)}/history?limit=${ROOM_HISTORY}`)]);
  if (detailRoom !== room) return;
  if (members.status === 'fulfilled') {
    const m = members.value;
    ui.roomMembersCount.textContent = `(${formatNumber(m.count)}${m.truncated ? '+' : ''}, ` +
      `${formatNumber(m.localConnections)} connections on this node)`;
    ui.roomMembers.replaceChildren(...m.users.map((u) => el('li', {dataset: {user: u}}, u, ' ',
      el('button', {type: 'button', class: 'small danger', onclick: () => membership('DELETE', room, u, false)},
        'remove'))));
    ui.roomMembersEmpty.hidden = m.users.length > 0;
  } else if (members.reason instanceof ApiError && members.reason.status === 404) {
    ui.roomMembersCount.textContent = '';
    ui.roomMembers.replaceChildren();
    ui.roomMembersEmpty.hidden = false;
  } else if (!quiet) {
    fail(members.reason);
  }
  if (history.status === 'fulfilled') {
    const h = history.value;
    ui.roomHistoryPosition.textContent = `(epoch ${h.epoch}, latest offset ${h.offset})`;
    ui.roomHistory.replaceChildren(...h.messages.map((m) => el('tr', {dataset: {mid: m.mid}},
      el('td', {class: 'num'}, m.offset === undefined ? '' : String(m.offset)), el('td', {}, m.from),
      el('td', {class: 'body'}, bodyText(m.body)), el('td', {}, formatTime(m.ts)))));
    ui.roomHistoryNote.hidden = h.messages.length > 0;
    ui.roomHistoryNote.textContent = 'No messages kept.';
  } else {
    ui.roomHistory.replaceChildren();
    ui.roomHistoryPosition.textContent = '';
    ui.roomHistoryNote.hidden = false;
    ui.roomHistoryNote.textContent = history.reason instanceof ApiError
      ? history.reason.message : String(history.reason);
  }
}

// ---- acting

/** What a message form sends as `body`: the text as {text}, or the text parsed as JSON when asked. */
function bodyOf(text, asJson) {
  if (!asJson) return {text};
  return JSON.parse(text);
}

/** Runs one admin action from a form; its outcome goes into the form's result line. */
async function act(output, what, run) {
  output.textContent = `${what}…`;
  output.dataset.state = 'pending';
  try {
    const text = await run();
    output.textContent = text;
    output.dataset.state = 'ok';
  } catch (e) {
    if (e instanceof SyntaxError) {
      output.textContent = `Not sent: the body is not valid JSON (${e.message}).`;
    } else {
      output.textContent = `${what} failed: ${e.code ? `${e.code}: ` : ''}${e.message}`;
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) fail(e);
    }
    output.dataset.state = 'error';
  }
}

function connectionsText(n) {
  return `${formatNumber(n)} connection${n === 1 ? '' : 's'}`;
}

function membership(method, room, user, readonly) {
  return act($('member-result'), method === 'PUT' ? `Adding ${user} to ${room}` : `Removing ${user} from ${room}`,
    async () => {
      const r = await api(`rooms/${enc(room)}/members/${enc(user)}`,
        {method, body: method === 'PUT' && readonly ? {readonly: true} : undefined});
      if (detailRoom === room) setTimeout(() => showRoom(room, true), 300);
      return method === 'PUT'
        ? `${r.user} added to ${r.room}${readonly ? ' (read only)' : ''}: ${connectionsText(r.connections)} joined.`
        : `${r.user} removed from ${r.room}: ${connectionsText(r.connections)} left.`;
    });
}

function disconnectUser(user, output) {
  return act(output, `Disconnecting ${user}`, async () => {
    const r = await api(`users/${enc(user)}/disconnect`, {method: 'POST'});
    setTimeout(pollUsers, 300);
    return `${r.user}: ${connectionsText(r.kicked)} kicked (admin).`;
  });
}

/** A button that must be pressed twice within 5 s: a dangerous action without a modal dialog. */
function confirmTwice(button, label, action) {
  if (button.dataset.armed === 'true') {
    delete button.dataset.armed;
    button.textContent = label;
    action();
    return;
  }
  button.dataset.armed = 'true';
  button.textContent = 'Press again to confirm';
  setTimeout(() => {
    if (button.dataset.armed === 'true') {
      delete button.dataset.armed;
      button.textContent = label;
    }
  }, 5000);
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
  ui.off.hidden = true;
  ui.login.hidden = true;
  ui.dashboard.hidden = false;
  ui.logout.hidden = false;
  ui.error.textContent = '';
  setState('connecting', 'loading');
  pollStats();
  pollUsers();
  timers = [setInterval(pollStats, POLL_MS), setInterval(pollUsers, USERS_POLL_MS)];
}

function stopPolling() {
  timers.forEach(clearInterval);
  timers = [];
}

function signOut(message) {
  stopPolling();
  token = null;
  detailUser = null;
  detailRoom = null;
  sessionStorage.removeItem(TOKEN_KEY);
  ui.dashboard.hidden = true;
  ui.login.hidden = false;
  ui.logout.hidden = true;
  ui.error.textContent = message || '';
  setState('disconnected', 'signed out');
}

/** The gateway has no admin API: say so, and ask for nothing. */
function showOff() {
  stopPolling();
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  ui.dashboard.hidden = true;
  ui.login.hidden = true;
  ui.logout.hidden = true;
  ui.off.hidden = false;
  setState('disconnected', 'admin API off');
}

ui.form.addEventListener('submit', (e) => {
  e.preventDefault();
  token = ui.token.value.trim();
  ui.token.value = '';
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  start();
});
ui.logout.addEventListener('click', () => signOut());
ui.disconnect.addEventListener('click', () => {
  if (!detailUser) return;
  const user = detailUser;
  confirmTwice(ui.disconnect, 'Disconnect', () => disconnectUser(user, $('kick-result')));
});
ui.closeUser.addEventListener('click', () => {
  detailUser = null;
  ui.detail.hidden = true;
});
ui.closeRoom.addEventListener('click', () => {
  detailRoom = null;
  ui.roomDetail.hidden = true;
});
ui.roomOpenForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const room = ui.roomOpenName.value.trim();
  if (room) showRoom(room, false);
});
ui.userSearchForm.addEventListener('submit', (e) => {
  e.preventDefault();
  users.prefix = ui.userSearch.value.trim();
  users.cursors = [null];
  pollUsers();
});
ui.usersNext.addEventListener('click', () => {
  if (users.next === null) return;
  users.cursors.push(users.next);
  pollUsers();
});
ui.usersPrev.addEventListener('click', () => {
  if (users.cursors.length <= 1) return;
  users.cursors.pop();
  pollUsers();
});
$('send-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const user = $('send-user').value.trim();
  act($('send-result'), `Sending to ${user}`, async () => {
    const r = await api(`users/${enc(user)}/messages`,
      {method: 'POST', body: {body: bodyOf($('send-text').value, $('send-json').checked)}});
    return r.stored ? `${user} is offline: the message is stored for them (inbox).`
      : `Delivered to ${connectionsText(r.recipients)} of ${user}.`;
  });
});
$('publish-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const room = $('publish-room').value.trim();
  act($('publish-result'), `Publishing to ${room}`, async () => {
    const r = await api(`rooms/${enc(room)}/messages`,
      {method: 'POST', body: {body: bodyOf($('publish-text').value, $('publish-json').checked)}});
    if (detailRoom === room) setTimeout(() => showRoom(room, true), 300);
    return `Published to ${room}: ${connectionsText(r.recipients)}.`;
  });
});
$('broadcast-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const exclude = $('broadcast-exclude').value.trim();
  act($('broadcast-result'), 'Broadcasting', async () => {
    const body = {body: bodyOf($('broadcast-text').value, $('broadcast-json').checked)};
    if (exclude) body.exclude = exclude;
    const r = await api('broadcast', {method: 'POST', body});
    return `Broadcast to ${connectionsText(r.recipients)}${exclude ? ` (all but ${exclude})` : ''}.`;
  });
});
$('member-form').addEventListener('submit', (e) => {
  e.preventDefault();
  membership('PUT', $('member-room').value.trim(), $('member-user').value.trim(), $('member-readonly').checked);
});
$('member-remove').addEventListener('click', () => {
  const room = $('member-room').value.trim();
  const user = $('member-user').value.trim();
  if (!room || !user) {
    $('member-result').textContent = 'Name the room and the user first.';
    return;
  }
  membership('DELETE', room, user, false);
});
$('kick-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const user = $('kick-user').value.trim();
  if (!user) return;
  confirmTwice($('kick-go'), 'Disconnect', () => disconnectUser(user, $('kick-result')));
});
window.addEventListener('resize', drawChart);

async function init() {
  const config = await clientConfig();
  if (!config.adminApi) {
    showOff();
  } else {
    token = sessionStorage.getItem(TOKEN_KEY);
    if (token) start(); else signOut();
  }
  document.body.dataset.ready = 'true';
}

init();
