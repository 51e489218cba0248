/*
 * The chat page, built on the project's JavaScript client (/lib/index.js, packaged from clients/js/src): the
 * library keeps the connection (backoff, heartbeat, rejoining rooms with `since`, duplicates, typed errors, the
 * frame size check); this page keeps what the user sees and what a reload must not lose.
 *
 * Kept in this tab's sessionStorage (never localStorage: a token must not outlive the tab): the token and user,
 * the joined rooms with each one's last position, the inbox position, the direct-message partners, the open
 * conversation and the recent messages of each. A reload rejoins every room with `since` and shows what came
 * back; when the gateway can no longer recover, the page says "you may have missed messages" and loads the
 * room's recent history instead.
 */
import {Client, FrameTooLargeError, LocalErrorCode, RoomState, State} from '/lib/index.js';
import {el, clientConfig, formatTime, bodyText, notifier} from '/common.js';

const STORE_KEY = 'chat.session';
/** Messages kept per conversation, in memory and in sessionStorage. */
const MAX_ITEMS = 200;
/** Messages asked for when a room is opened or could not be recovered. */
const HISTORY_LIMIT = 50;
/** A typing indicator goes out at most this often while the user types... */
const TYPING_SEND_MS = 2500;
/** ...and is shown this long after the last one came in. */
const TYPING_SHOW_MS = 4000;
const ONLINE_REFRESH_MS = 15000;
/** While a direct conversation is open, how often to look whether the peer is online. */
const PEER_REFRESH_MS = 4000;
/** Users whose messages the gateway itself sends (admin API): no one to answer. */
const SERVER_USER = '$server';

const $ = (id) => document.getElementById(id);
const ui = {
  state: $('state'), reconnectNow: $('reconnect-now'), whoami: $('whoami'), logout: $('logout'),
  notices: $('notices'),
  login: $('login'), loginForm: $('login-form'), loginReason: $('login-reason'), token: $('token'),
  tokenLabel: $('token-label'), modeHint: $('mode-hint'),
  chat: $('chat'), sidebar: $('sidebar'), toggleSidebar: $('toggle-sidebar'),
  roomList: $('room-list'), joinForm: $('join-form'), roomName: $('room-name'),
  dmList: $('dm-list'), dmForm: $('dm-form'), dmUser: $('dm-user'),
  onlineSection: $('online-section'), online: $('online'), onlineNote: $('online-note'),
  refreshOnline: $('refresh-online'),
  title: $('conv-title'), leave: $('leave'), log: $('log'), typing: $('typing'),
  composerNote: $('composer-note'), composer: $('composer'), text: $('text'), send: $('send'),
  members: $('members'), membersTitle: $('members-title'),
};
const notify = notifier(ui.notices);

let config = null;
let client = null;
/** What survives a reload: see loadSession(). */
let session = emptySession();
const conversations = new Map(); // key ('room:x' / 'dm:y') -> conversation
let active = null;
let everConnected = false;
let inboxOn = false;
/** 'on' while global presence answers, 'off' once the gateway said forbidden (production default). */
let globalPresence = 'on';
let onlineUsers = new Set();
let onlineTruncated = false;
let reconnectAt = 0;
let composerError = null;
let nextItemId = 1;
let saveTimer = null;
const timers = {online: null, peer: null, countdown: null};
const lastTypingSent = new Map();

// ---- session (this tab only)

function emptySession() {
  return {v: 1, token: null, user: null, rooms: [], positions: {}, inbox: null, dms: {}, active: null, items: {}};
}

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE_KEY));
    if (s && s.v === 1 && typeof s === 'object') return {...emptySession(), ...s};
  } catch (e) {
    // unreadable: start afresh
  }
  return emptySession();
}

function snapshot() {
  const s = {...session, rooms: [], positions: {}, dms: {}, items: {}, active};
  for (const c of conversations.values()) {
    if (c.kind === 'room') {
      s.rooms.push(c.name);
      const p = c.room ? c.room.position : c.position;
      if (p) s.positions[c.name] = p;
    } else {
      s.dms[c.name] = {lastSeen: c.peer.lastSeen};
    }
    s.items[c.key] = c.items.slice(-MAX_ITEMS);
  }
  if (client && client.inbox) s.inbox = client.inbox;
  return s;
}

function saveNow() {
  clearTimeout(saveTimer);
  saveTimer = null;
  if (!session.user && !session.token) return;
  const s = snapshot();
  session = {...session, inbox: s.inbox};
  // A full store (5 MB or so) keeps the positions and drops the oldest messages first.
  for (const keep of [MAX_ITEMS, 50, 0]) {
    if (keep < MAX_ITEMS) for (const k of Object.keys(s.items)) s.items[k] = keep === 0 ? [] : s.items[k].slice(-keep);
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(s));
      return;
    } catch (e) {
      // try again with less
    }
  }
}

function save() {
  if (saveTimer === null) saveTimer = setTimeout(saveNow, 250);
}

/** The user a token stands for, when the page can tell before connecting (a JWT's sub; the name itself in dev). */
function tokenUser(token) {
  if (config.developmentMode) return token;
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const sub = JSON.parse(atob(part)).sub;
    return typeof sub === 'string' ? sub : null;
  } catch (e) {
    return null;
  }
}

// ---- conversations

function conversation(kind, name) {
  const key = `${kind}:${name}`;
  let c = conversations.get(key);
  if (!c) {
    c = {key, kind, name, items: [], mids: new Set(), unread: 0, members: new Set(), typing: new Map(), room: null,
      position: null, peer: {status: 'unknown', lastSeen: null, refused: false}, historyLoaded: false};
    conversations.set(key, c);
    save();
  }
  return c;
}

function removeConversation(c) {
  for (const t of c.typing.values()) clearTimeout(t);
  conversations.delete(c.key);
  if (active === c.key) active = null;
  save();
  render();
}

function messageItem(f, extra) {
  return {kind: 'message', from: f.from, text: bodyText(f.body), ts: f.ts || Date.now(), mid: f.mid,
    offset: f.offset, own: client !== null && f.from === client.user, ...extra};
}

/** Adds an item at the end (live), or by time (history); a message already shown (same mid) is skipped. */
function addItem(c, item, {byTime = false, unread = true} = {}) {
  if (item.mid !== undefined && c.mids.has(item.mid)) return false;
  if (item.mid !== undefined) c.mids.add(item.mid);
  item.id = nextItemId++;
  let at = c.items.length;
  if (byTime) while (at > 0 && c.items[at - 1].ts > item.ts) at--;
  c.items.splice(at, 0, item);
  let trimmed = false;
  if (c.items.length > MAX_ITEMS * 2) {
    for (const old of c.items.splice(0, c.items.length - MAX_ITEMS)) c.mids.delete(old.mid);
    trimmed = true;
  }
  if (active === c.key) {
    if (at === c.items.length - 1 && !trimmed) appendToLog(item, item.own);
    else renderLog();
  } else if (item.kind === 'message' && unread) {
    c.unread++;
    renderLists();
  }
  save();
  return true;
}

function updateItem(c, item) {
  save();
  if (active !== c.key) return;
  const old = ui.log.querySelector(`li[data-item="${item.id}"]`);
  if (old) old.replaceWith(renderItem(item));
}

function system(c, text, kind = 'system') {
  addItem(c, {kind, text, ts: Date.now()});
}

// ---- rooms

function attachRoom(c) {
  const room = client.room(c.name, c.position ? {since: c.position} : undefined);
  c.room = room;
  room.on('message', (f) => {
    if (isTyping(f)) {
      showTyping(c, f.from);
      return;
    }
    clearTyping(c, f.from);
    // Before the join's ack, a message is one the rejoin brought back.
    addItem(c, messageItem(f, {recovered: room.state === RoomState.JOINING}));
  });
  room.on('state', ({state}) => {
    if (state === RoomState.JOINED) {
      refreshMembers(c);
      // A gap, if any, is reported right after this: it loads the history itself, with its notice in place.
      queueMicrotask(() => {
        if (!c.historyLoaded) loadHistory(c);
      });
    }
    renderLists();
    if (active === c.key) updateComposer();
  });
  room.on('joined', ({user, self}) => {
    c.members.add(user);
    system(c, self ? `an operator added you to ${c.name}` : `${user} joined`);
    renderMembersIfActive(c);
    scheduleOnlineRefresh();
  });
  room.on('left', ({user, self, reason}) => {
    if (self && (reason === 'removed' || reason === 'revoked')) {
      notify(reason === 'removed' ? `An operator removed you from ${c.name}.`
        : `Your token no longer grants ${c.name}, so you left it.`, 'error');
      removeConversation(c);
      return;
    }
    c.members.delete(user);
    clearTyping(c, user);
    system(c, `${user} left`);
    renderMembersIfActive(c);
    scheduleOnlineRefresh();
  });
  room.on('recovered', ({count}) => {
    if (count > 0) system(c, `${count} message${count === 1 ? '' : 's'} came back after the reconnect`);
  });
  room.on('gap', () => {
    const gap = {kind: 'gap', ts: Date.now(),
      text: 'You may have missed messages: some were sent while you were away and are no longer kept. ' +
        'The room\'s recent messages are shown instead.'};
    addItem(c, gap);
    notify(`You may have missed messages in ${c.name}.`, 'warn');
    loadHistory(c, gap);
  });
  room.on('error', (e) => {
    if (room.state === RoomState.UNJOINED) {
      // The library gave the room up (forbidden, bad_request, ...): it must not stay listed as if joined.
      notify(`Could not join ${c.name}: ${explain(e)}`, 'error');
      removeConversation(c);
    } else {
      notify(`${c.name}: ${explain(e)}; trying again`, 'warn');
    }
  });
  return room;
}

function joinRoom(name) {
  const existing = conversations.get(`room:${name}`);
  const c = existing || conversation('room', name);
  if (!c.room) attachRoom(c);
  open(c.key);
  c.room.join().then(() => {
    if (!existing) system(c, `you joined ${name}`);
  }, () => { /* the room's error event says why */ });
  renderLists();
}

function leaveRoom(c) {
  if (c.room) c.room.leave().catch(() => {});
  removeConversation(c);
}

/**
 * The room's recent messages (the `history` frame), merged by time with what is shown. After a gap, the gap's
 * notice moves to just before the first message that was not shown yet.
 */
async function loadHistory(c, gap) {
  c.historyLoaded = true;
  if (!c.room) return;
  let page;
  try {
    page = await c.room.history({limit: HISTORY_LIMIT});
  } catch (e) {
    if (e.code !== 'unsupported') notify(`No history for ${c.name}: ${explain(e)}`, 'warn');
    return;
  }
  const added = [];
  for (const f of page.messages || []) {
    if (isTyping(f)) continue;
    const item = messageItem(f, {history: true});
    if (addItem(c, item, {byTime: true, unread: false})) added.push(item);
  }
  if (gap && added.length > 0) {
    gap.ts = Math.min(...added.map((i) => i.ts)) - 1;
    c.items.sort((a, b) => a.ts - b.ts);
  }
  if (active === c.key) renderLog();
}

function refreshMembers(c) {
  if (!c.room || c.room.state !== RoomState.JOINED) return;
  c.room.presence().then((p) => {
    c.members = new Set(p.users);
    renderMembersIfActive(c);
  }, () => {});
}

// ---- direct messages

function onDirect(f) {
  if (f.room !== undefined) return; // rooms deliver their own
  const me = client.user;
  const peer = f.to === undefined ? SERVER_USER : (f.from === me ? f.to : f.from);
  if (isTyping(f)) {
    const c = conversations.get(`dm:${peer}`);
    if (c) showTyping(c, f.from);
    return;
  }
  const c = conversation('dm', peer);
  clearTyping(c, f.from);
  const recovered = client.state !== State.CONNECTED; // the inbox comes back before the welcome
  if (!recovered && f.from === peer) seen(c);
  addItem(c, messageItem(f, {recovered}));
  renderLists();
}

/** The peer is online now. */
function seen(c) {
  c.peer.status = 'online';
  c.peer.lastSeen = Date.now();
  c.peer.refused = false;
  save();
}

/** Whether a message to the offline peer would be kept for them (`stored: true`): they were online lately. */
function storable(c) {
  const ttl = config.inboxTtlSeconds * 1000;
  return inboxOn && ttl > 0 && c.peer.lastSeen !== null && Date.now() - c.peer.lastSeen < ttl - 5000;
}

function peerStatusFromPresence(c) {
  if (c.kind !== 'dm' || c.name === SERVER_USER) return;
  if (onlineUsers.has(c.name)) {
    seen(c);
  } else if (globalPresence === 'on' && !onlineTruncated) {
    c.peer.status = 'offline';
  }
}

// ---- sending

async function sendText(text) {
  const c = conversations.get(active);
  if (!c || !client) return;
  const body = {text};
  const call = c.kind === 'room' ? c.room.publish(body) : client.send(c.name, body);
  let refused = null;
  const item = {kind: 'message', own: true, from: client.user, text, ts: Date.now(), status: 'sending'};
  const settled = call.then((ack) => {
    item.mid = ack.mid;
    item.recipients = ack.recipients;
    item.status = ack.stored ? 'stored' : 'sent';
    if (item.mid !== undefined) c.mids.add(item.mid);
    if (c.kind === 'dm') {
      if (ack.recipients > 0) seen(c);
      else if (ack.stored) c.peer.status = 'offline';
      updateComposer();
    }
  }, (e) => {
    if (e instanceof FrameTooLargeError || e.code === LocalErrorCode.FRAME_TOO_LARGE) {
      refused = e;
      return;
    }
    item.status = 'failed';
    item.code = e.code;
    item.reason = explain(e);
    if (c.kind === 'dm' && e.code === 'user_offline') {
      c.peer.status = 'offline';
      c.peer.lastSeen = null;
      c.peer.refused = true;
      updateComposer();
    }
  });
  // A frame too large is refused by the library at once, before anything is sent: by the next microtask the
  // page knows, keeps the text for the user to shorten, and shows no message.
  await null;
  if (refused) {
    composerError = `Not sent: this message is ${refused.size.toLocaleString('en-US')} bytes as a frame, and ` +
      `the gateway accepts at most ${refused.limit.toLocaleString('en-US')}. Shorten it and send again.`;
    updateComposer();
    return;
  }
  ui.text.value = '';
  lastTypingSent.delete(c.key);
  addItem(c, item);
  settled.then(() => updateItem(c, item));
}

function sendTyping() {
  const c = conversations.get(active);
  if (!c || !client || client.state !== State.CONNECTED || ui.text.value.trim() === '') return;
  const now = Date.now();
  if (now - (lastTypingSent.get(c.key) || 0) < TYPING_SEND_MS) return;
  const body = {typing: true};
  if (c.kind === 'room') {
    if (c.room.state !== RoomState.JOINED) return;
    lastTypingSent.set(c.key, now);
    c.room.publish(body, {ephemeral: true}).catch(() => {});
  } else if (c.peer.status === 'online' && c.name !== SERVER_USER) {
    lastTypingSent.set(c.key, now);
    client.send(c.name, body, {ephemeral: true}).catch(() => {});
  }
}

/** An ephemeral `{typing: true}`: the body this page sends while its user types. */
function isTyping(f) {
  return f.offset === undefined && f.body !== null && typeof f.body === 'object' && f.body.typing === true;
}

function showTyping(c, user) {
  if (client && user === client.user) return;
  clearTimeout(c.typing.get(user));
  c.typing.set(user, setTimeout(() => clearTyping(c, user), TYPING_SHOW_MS));
  if (active === c.key) renderTyping();
}

function clearTyping(c, user) {
  if (!c.typing.has(user)) return;
  clearTimeout(c.typing.get(user));
  c.typing.delete(user);
  if (active === c.key) renderTyping();
}

// ---- presence

async function refreshOnline() {
  if (!client || client.state !== State.CONNECTED || globalPresence === 'off') return;
  try {
    const p = await client.presence();
    onlineUsers = new Set(p.users);
    onlineTruncated = p.truncated === true;
  } catch (e) {
    if (e.code === 'forbidden') {
      globalPresence = 'off'; // production default: who is online is not for every user to see
      ui.onlineSection.hidden = true;
    }
    return;
  }
  for (const c of conversations.values()) peerStatusFromPresence(c);
  renderOnline();
  renderLists();
  updateComposer();
}

let onlineRefreshPending = null;
function scheduleOnlineRefresh() {
  if (onlineRefreshPending) return;
  onlineRefreshPending = setTimeout(() => {
    onlineRefreshPending = null;
    refreshOnline();
  }, 1000);
}

// ---- the connection

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${config.webSocketPath}`;
}

function start(token) {
  const user = tokenUser(token);
  if (session.user && user !== null && user !== session.user) {
    // Someone else signs in on this tab: nothing of the previous user's stays.
    conversations.clear();
    active = null;
    session = emptySession();
  }
  session.token = token;
  if (user) session.user = user;
  everConnected = false;
  globalPresence = 'on';
  ui.onlineSection.hidden = false;
  client = new Client(wsUrl(), {
    token,
    maxFrameBytes: config.maxFrameBytes,
    since: session.inbox || undefined,
  });
  client.on('state', onState);
  client.on('connect', onConnect);
  client.on('disconnect', onDisconnect);
  client.on('message', onDirect);
  client.on('room', (room) => {
    const c = conversation('room', room.name);
    if (!c.room) attachRoom(c);
    renderLists();
  });
  client.on('recovered', ({count}) => {
    if (count > 0) notify(`${count} direct message${count === 1 ? '' : 's'} came back after the reconnect.`);
  });
  client.on('gap', () => {
    notify('You may have missed direct messages: some were sent while you were away and are no longer kept.',
      'warn');
    for (const c of conversations.values()) {
      if (c.kind === 'dm' && c.name !== SERVER_USER) {
        addItem(c, {kind: 'gap', ts: Date.now(), text: 'You may have missed direct messages while you were away.'});
      }
    }
  });
  client.on('error', (e) => {
    // Errors tied to a call are shown where the call was made; these are the others (e.g. rate_limited).
    if (e.code !== 'unauthorized') notify(explain(e), 'error');
  });
  for (const c of conversations.values()) {
    if (c.kind === 'room') {
      attachRoom(c);
      c.room.join().catch(() => {});
    }
  }
  client.connect();
  showChat();
  save();
}

function onState({state}) {
  renderState();
  if (state !== State.CONNECTED) {
    clearInterval(timers.online);
    timers.online = null;
  }
  renderLists();
  updateComposer();
}

function onConnect(welcome) {
  if (session.user && session.user !== welcome.user) {
    // An opaque token turned out to be another user's: the previous user's conversations are not theirs.
    for (const c of conversations.values()) if (c.room) c.room.leave().catch(() => {});
    conversations.clear();
    active = null;
    session = {...emptySession(), token: session.token};
    render();
  }
  everConnected = true;
  reconnectAt = 0;
  session.user = welcome.user;
  inboxOn = welcome.inbox !== undefined && welcome.inbox !== null;
  ui.whoami.textContent = welcome.user;
  ui.whoami.title = `signed in as ${welcome.user}`;
  clearInterval(timers.online);
  timers.online = setInterval(refreshOnline, ONLINE_REFRESH_MS);
  refreshOnline();
  renderState();
  save();
}

function onDisconnect(info) {
  if (info.reconnect) {
    reconnectAt = Date.now() + (info.delay || 0);
    if (info.reason === 'kicked') notify(`The gateway closed the connection (${info.kicked}); reconnecting.`, 'warn');
    for (const c of conversations.values()) c.members.clear();
    renderMembers();
    renderState();
    return;
  }
  if (info.reason === 'client') return; // our own disconnect(): signing out, or "reconnect now"
  let text;
  if (info.reason === 'kicked') text = kickText(info.kicked);
  else if (info.reason === 'unauthorized') text = `Sign-in refused: ${info.error ? info.error.message : 'unauthorized'}.`;
  else text = `Disconnected (${info.reason}).`;
  stopped(text);
}

function kickText(reason) {
  switch (reason) {
    case 'replaced': return 'You signed in somewhere else (another tab or device), so this page was disconnected. ' +
      'Sign in again to continue here.';
    case 'admin': return 'An operator disconnected you.';
    case 'expired': return 'Your token expired. Sign in with a new one to continue.';
    default: return `The gateway disconnected you (${reason}).`;
  }
}

/** The library stopped for good: only the sign-in card remains, with the reason. The conversations are kept. */
function stopped(reason) {
  const c = client;
  client = null;
  if (c) c.off();
  detachRooms();
  session.token = null;
  saveNow();
  showSignIn(reason);
}

/** Forgets the stopped client's rooms, keeping where each was read up to for the next sign-in. */
function detachRooms() {
  for (const c of conversations.values()) {
    if (c.room) {
      c.position = c.room.position || c.position;
      c.room.off();
      c.room = null;
    }
  }
}

function reconnectNow() {
  if (!client || client.state !== State.CONNECTING) return;
  // disconnect() keeps every room wanted and every position; connect() starts again without the backoff wait.
  client.disconnect();
  client.connect();
}

function signOut() {
  const c = client;
  client = null;
  if (c) {
    c.off();
    c.disconnect();
  }
  sessionStorage.removeItem(STORE_KEY);
  session = emptySession();
  conversations.clear();
  active = null;
  showSignIn('');
}

// ---- rendering

function showChat() {
  ui.login.hidden = true;
  ui.chat.hidden = false;
  ui.logout.hidden = false;
  document.body.classList.toggle('sidebar-open', active === null);
  render();
}

function showSignIn(reason) {
  clearInterval(timers.online);
  timers.online = null;
  ui.chat.hidden = true;
  ui.login.hidden = false;
  ui.logout.hidden = true;
  ui.whoami.textContent = '';
  ui.loginReason.textContent = reason;
  ui.loginReason.hidden = !reason;
  if (config.developmentMode && session.user) ui.token.value = session.user;
  renderState();
}

function renderState() {
  let state = 'disconnected';
  let text = 'disconnected';
  if (client) {
    if (client.state === State.CONNECTED) {
      state = text = 'connected';
    } else if (client.state === State.CONNECTING && everConnected) {
      state = 'reconnecting';
      const left = Math.ceil((reconnectAt - Date.now()) / 1000);
      text = left > 0 ? `reconnecting in ${left} s` : 'reconnecting…';
    } else if (client.state === State.CONNECTING) {
      state = text = 'connecting';
    }
  }
  ui.state.dataset.state = state;
  ui.state.textContent = text;
  ui.reconnectNow.hidden = state !== 'reconnecting';
  clearTimeout(timers.countdown);
  if (state === 'reconnecting' && reconnectAt > Date.now()) timers.countdown = setTimeout(renderState, 1000);
}

function open(key) {
  active = key;
  const c = conversations.get(key);
  if (c) c.unread = 0;
  composerError = null;
  document.body.classList.remove('sidebar-open');
  render();
  save();
  if (c && c.kind === 'dm') {
    refreshOnline();
    restartPeerTimer();
  }
  if (!ui.text.disabled) ui.text.focus();
}

function restartPeerTimer() {
  clearInterval(timers.peer);
  timers.peer = null;
  const c = conversations.get(active);
  if (c && c.kind === 'dm' && c.name !== SERVER_USER) {
    timers.peer = setInterval(() => {
      if (globalPresence === 'on') refreshOnline(); else updateComposer();
    }, PEER_REFRESH_MS);
  }
}

function renderItem(item) {
  const time = el('time', {datetime: new Date(item.ts).toISOString()}, formatTime(item.ts));
  if (item.kind === 'message') {
    const classes = ['msg'];
    if (item.own) classes.push('own');
    if (item.recovered) classes.push('recovered');
    if (item.history) classes.push('history');
    let status = null;
    if (item.own && item.status) {
      const label = {
        sending: 'sending…', sent: 'sent', stored: 'stored for later', unconfirmed: 'not confirmed',
        failed: `failed: ${item.code}`,
      }[item.status] || item.status;
      status = el('span', {class: `status ${item.status}`, title: item.status === 'failed' ? item.reason
        : item.status === 'sent' ? `delivered to ${item.recipients} connection(s)` : null}, label);
    }
    return el('li', {class: classes.join(' '), dataset: {item: item.id, from: item.from, mid: item.mid,
      status: item.status}},
    el('span', {class: 'from'}, item.from === SERVER_USER ? 'server' : item.from),
    el('span', {class: 'body'}, item.text),
    item.recovered ? el('span', {class: 'tag', title: 'sent while you were away'}, 'recovered') : null,
    status, time);
  }
  return el('li', {class: item.kind, dataset: {item: item.id}}, el('span', {class: 'body'}, item.text), time);
}

function nearBottom() {
  return ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
}

function appendToLog(item, force) {
  const stick = force || nearBottom();
  ui.log.append(renderItem(item));
  if (stick) ui.log.scrollTop = ui.log.scrollHeight;
}

function renderLog() {
  const c = conversations.get(active);
  ui.log.replaceChildren(...(c ? c.items.map(renderItem) : []));
  ui.log.scrollTop = ui.log.scrollHeight;
}

function renderLists() {
  const entry = (c) => {
    const status = c.kind === 'room'
      ? (c.room ? c.room.state : 'unjoined')
      : (c.name === SERVER_USER ? 'server' : c.peer.status);
    return el('li', {class: active === c.key ? 'active' : '', dataset: {key: c.key, status}},
      el('button', {type: 'button', class: 'link', onclick: () => open(c.key)},
        c.kind === 'room' ? `# ${c.name}` : (c.name === SERVER_USER ? 'Server messages' : c.name)),
      c.kind === 'room' && status === RoomState.JOINING ? el('span', {class: 'hint'}, 'joining…') : null,
      c.kind === 'dm' && status !== 'server' ? el('span', {class: `dot ${status}`, title: status}) : null,
      c.unread > 0 ? el('span', {class: 'badge'}, String(c.unread)) : null);
  };
  const all = [...conversations.values()];
  ui.roomList.replaceChildren(...all.filter((c) => c.kind === 'room').map(entry));
  ui.dmList.replaceChildren(...all.filter((c) => c.kind === 'dm').map(entry));
}

function renderOnline() {
  const me = client && client.user;
  ui.online.replaceChildren(...[...onlineUsers].sort().map((u) => el('li', {dataset: {user: u}},
    el('button', {type: 'button', class: 'link', onclick: () => open(conversation('dm', u).key)},
      u === me ? `${u} (you)` : u))));
  ui.onlineNote.textContent = onlineTruncated ? 'More users are online than listed.' : '';
}

function renderMembersIfActive(c) {
  if (active === c.key) renderMembers();
}

function renderMembers() {
  const c = conversations.get(active);
  const me = client && client.user;
  ui.membersTitle.textContent = c && c.kind === 'dm' ? 'In this conversation' : 'In this room';
  const members = !c ? [] : c.kind === 'room' ? [...c.members].sort()
    : [...new Set([me, c.name])].filter(Boolean).sort();
  ui.members.replaceChildren(...members.map((u) => el('li', {dataset: {user: u}},
    u === me ? `${u} (you)` : u)));
}

function renderTyping() {
  const c = conversations.get(active);
  const users = c ? [...c.typing.keys()] : [];
  ui.typing.textContent = users.length === 0 ? ''
    : users.length === 1 ? `${users[0]} is typing…`
      : users.length === 2 ? `${users[0]} and ${users[1]} are typing…` : `${users.length} people are typing…`;
}

/** The composer is usable only where a message can go; when not, the note under the log says why. */
function updateComposer() {
  const c = conversations.get(active);
  let enabled = false;
  let note = '';
  let kind = 'info';
  let action = null;
  const connected = client !== null && client.state === State.CONNECTED;
  if (!c) {
    enabled = false;
  } else if (!connected) {
    note = 'Not connected: you can write again once the page is back online.';
  } else if (c.kind === 'room') {
    enabled = c.room !== null && c.room.state === RoomState.JOINED;
    if (!enabled) note = `Joining ${c.name}…`;
  } else if (c.name === SERVER_USER) {
    note = 'Messages from the gateway\'s operators: there is no one to answer here.';
  } else if (c.peer.status === 'online') {
    enabled = true;
  } else if (c.peer.status === 'offline' && storable(c)) {
    enabled = true;
    const minutes = Math.round(config.inboxTtlSeconds / 60);
    note = `${c.name} is offline. What you write now is stored for them and delivered if they are back within ` +
      `${minutes >= 2 ? `${minutes} minutes` : `${config.inboxTtlSeconds} seconds`}.`;
  } else if (c.peer.status === 'offline' || c.peer.refused) {
    note = `${c.name} is offline, or there is no such user: you can write once they are online.`;
    kind = 'warn';
    if (globalPresence === 'off') {
      // Without global presence the page cannot see them come back: let the user try again.
      action = el('button', {type: 'button', class: 'small', onclick: () => {
        c.peer.status = 'unknown';
        c.peer.refused = false;
        updateComposer();
      }}, 'Try again');
    }
  } else {
    enabled = true; // unknown: the ack will say
  }
  if (composerError && c) {
    note = composerError;
    kind = 'error';
    action = null;
  }
  ui.text.disabled = !enabled;
  ui.send.disabled = !enabled;
  ui.composerNote.hidden = note === '';
  ui.composerNote.className = `composer-note ${kind}`;
  ui.composerNote.replaceChildren(note, action ? ' ' : '', action || '');
}

function render() {
  const c = conversations.get(active);
  ui.title.textContent = c ? (c.kind === 'room' ? `# ${c.name}`
    : c.name === SERVER_USER ? 'Messages from the server' : `Direct messages with ${c.name}`)
    : 'Join a room or open a direct message';
  ui.title.dataset.key = c ? c.key : '';
  ui.leave.hidden = !c || c.kind !== 'room';
  ui.toggleSidebar.setAttribute('aria-expanded', String(document.body.classList.contains('sidebar-open')));
  renderLog();
  renderLists();
  renderMembers();
  renderTyping();
  renderOnline();
  updateComposer();
}

function explain(e) {
  const why = {
    forbidden: 'forbidden: you have no grant for this',
    rate_limited: 'rate_limited: too many frames too fast, slow down',
    user_offline: 'user_offline: the user is not online',
    not_in_room: 'not_in_room: you are not in this room',
    bad_request: 'bad_request',
    unavailable: 'unavailable: the gateway cannot reach its cluster right now',
    timeout: 'timeout: no answer from the gateway',
    disconnected: 'disconnected',
  }[e.code] || e.code;
  return e.message && e.message !== e.code ? `${why} (${e.message})` : why;
}

// ---- wiring

ui.loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = ui.token.value.trim();
  if (token) start(token);
});
ui.logout.addEventListener('click', signOut);
ui.reconnectNow.addEventListener('click', reconnectNow);
ui.toggleSidebar.addEventListener('click', () => {
  document.body.classList.toggle('sidebar-open');
  ui.toggleSidebar.setAttribute('aria-expanded', String(document.body.classList.contains('sidebar-open')));
});
ui.joinForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const name = ui.roomName.value.trim();
  if (!name || !client) return;
  ui.roomName.value = '';
  joinRoom(name);
});
ui.dmForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const user = ui.dmUser.value.trim();
  if (!user) return;
  ui.dmUser.value = '';
  open(conversation('dm', user).key);
});
ui.leave.addEventListener('click', () => {
  const c = conversations.get(active);
  if (c && c.kind === 'room') leaveRoom(c);
});
ui.refreshOnline.addEventListener('click', refreshOnline);
ui.text.addEventListener('input', () => {
  if (composerError) {
    composerError = null;
    updateComposer();
  }
  sendTyping();
});
ui.composer.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = ui.text.value;
  if (text.trim()) sendText(text);
});
// A page that is left closes its connection: kept open in the back-forward cache, it would hold the user's session
// (with sessions=single, the only one) and receive messages nobody reads. Coming back to it reconnects with since.
let suspended = false;
window.addEventListener('pagehide', () => {
  saveNow();
  if (client && client.state !== State.DISCONNECTED) {
    suspended = true;
    client.disconnect();
  }
});
window.addEventListener('pageshow', (e) => {
  if (e.persisted && suspended && client) {
    suspended = false;
    client.connect();
  }
});

async function init() {
  config = await clientConfig();
  if (config.developmentMode) {
    ui.tokenLabel.textContent = 'User name';
    ui.modeHint.textContent = 'The gateway runs in development mode: your user name is your token.';
  } else {
    ui.tokenLabel.textContent = 'Token (JWT)';
    ui.modeHint.textContent = 'Paste a token (JWT) issued for this gateway by your application.';
  }
  session = loadSession();
  for (const name of session.rooms) {
    const c = conversation('room', name);
    c.position = session.positions[name] || null;
  }
  for (const [name, d] of Object.entries(session.dms)) {
    conversation('dm', name).peer.lastSeen = d && Number.isFinite(d.lastSeen) ? d.lastSeen : null;
  }
  for (const [key, items] of Object.entries(session.items)) {
    const c = conversations.get(key) || (key.startsWith('dm:') ? conversation('dm', key.slice(3)) : null);
    if (!c || !Array.isArray(items)) continue;
    for (const item of items) {
      // An answer that did not come before the page went away is not known now.
      if (item.status === 'sending') item.status = 'unconfirmed';
      addItem(c, {...item, recovered: false}, {unread: false});
    }
  }
  active = session.active && conversations.has(session.active) ? session.active : null;
  if (session.token) start(session.token);
  else showSignIn('');
  document.body.dataset.ready = 'true';
}

// For tests and the curious: the page's state, read-only in spirit.
window.chatPage = {
  get client() { return client; },
  conversations,
  get active() { return active; },
};

init();
