/*
 * The web chat client: one WebSocket to the gateway speaking wire protocol v1. It signs in with a
 * token (in development mode the token is the user name), joins and leaves rooms, chats in rooms and in direct
 * messages, shows who is online with live joined/left, and reconnects with exponential backoff and jitter,
 * joining its rooms again.
 */
'use strict';

(() => {
  const {el, backoffDelay, formatTime, bodyText} = ChatCommon;

  const RECONNECT_BASE_MS = 500;
  const RECONNECT_CAP_MS = 30000;
  const REQUEST_TIMEOUT_MS = 10000;
  const ONLINE_REFRESH_MS = 15000;
  const MAX_ITEMS = 500;
  // Kicks after which coming back at once would be wrong: another login took our place, or an operator removed us.
  const FINAL_KICKS = new Set(['replaced', 'admin']);

  const $ = (id) => document.getElementById(id);
  const ui = {
    state: $('state'), whoami: $('whoami'), logout: $('logout'),
    login: $('login'), loginForm: $('login-form'), token: $('token'), tokenLabel: $('token-label'),
    modeHint: $('mode-hint'),
    chat: $('chat'), roomList: $('room-list'), joinForm: $('join-form'), roomName: $('room-name'),
    dmList: $('dm-list'), dmForm: $('dm-form'), dmUser: $('dm-user'),
    online: $('online'), onlineNote: $('online-note'), refreshOnline: $('refresh-online'),
    title: $('conv-title'), leave: $('leave'), log: $('log'),
    composer: $('composer'), text: $('text'), send: $('send'),
    members: $('members'), membersTitle: $('members-title'), notice: $('notice'),
  };

  const client = {
    config: {webSocketPath: '/ws', developmentMode: false, heartbeatSeconds: 60},
    token: null,
    ws: null,
    state: 'disconnected',
    stateDetail: undefined,
    me: null,
    connId: null,
    attempt: 0,
    reconnectTimer: null,
    pingTimer: null,
    onlineTimer: null,
    onlineRefreshPending: null,
    nextId: 1,
    pending: new Map(),
    conversations: new Map(), // key -> {kind, name, items, unread, members}
    active: null,
    stopReason: null,
  };

  // ---- connection

  function setState(state, detail) {
    client.state = state;
    client.stateDetail = detail;
    ui.state.dataset.state = state;
    ui.state.textContent = detail ? `${state} (${detail})` : state;
    const usable = state === 'connected' && client.active !== null;
    ui.text.disabled = !usable;
    ui.send.disabled = !usable;
  }

  function wsUrl() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}${client.config.webSocketPath}`;
  }

  function connect() {
    clearTimeout(client.reconnectTimer);
    client.reconnectTimer = null;
    client.stopReason = null;
    setState('connecting');
    let ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    client.ws = ws;
    ws.onopen = () => {
      setState('authenticating');
      // The token goes in the first frame rather than the URL, so that it stays out of access logs.
      ws.send(JSON.stringify({type: 'auth', id: 'auth', token: client.token}));
    };
    ws.onmessage = (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        showNotice('The gateway sent something that is not JSON.');
        return;
      }
      onFrame(frame);
    };
    ws.onclose = (event) => onClose(ws, event);
  }

  function onClose(ws, event) {
    if (ws !== client.ws) return;
    client.ws = null;
    clearInterval(client.pingTimer);
    clearInterval(client.onlineTimer);
    for (const [, p] of client.pending) {
      clearTimeout(p.timer);
      p.reject({code: 'disconnected', message: 'connection closed'});
    }
    client.pending.clear();
    for (const c of client.conversations.values()) {
      if (c.kind === 'room') c.members.clear();
    }
    renderMembers();
    if (client.stopReason) {
      setState('disconnected', client.stopReason);
      if (client.token && client.stopReason !== 'signed out') {
        // Offer to sign in again rather than coming back on our own.
        ui.token.value = client.token;
        ui.login.hidden = false;
      }
      return;
    }
    if (event && event.code === 1009) {
      showNotice('A frame was larger than the gateway accepts.');
    }
    scheduleReconnect();
  }

  function scheduleReconnect() {
    const delay = backoffDelay(client.attempt, RECONNECT_BASE_MS, RECONNECT_CAP_MS);
    client.attempt++;
    const until = Date.now() + delay;
    setState('reconnecting', `in ${Math.ceil(delay / 1000)}s, attempt ${client.attempt}`);
    client.reconnectTimer = setTimeout(connect, delay);
    // Keep the countdown honest without a timer per second when the delay is long.
    const tick = () => {
      if (client.state !== 'reconnecting' || client.reconnectTimer === null) return;
      const left = Math.max(0, until - Date.now());
      setState('reconnecting', `in ${Math.ceil(left / 1000)}s, attempt ${client.attempt}`);
      if (left > 1000) setTimeout(tick, 1000);
    };
    setTimeout(tick, 1000);
  }

  function stop(reason) {
    client.stopReason = reason;
    clearTimeout(client.reconnectTimer);
    client.reconnectTimer = null;
    if (client.ws) {
      client.ws.close(1000, 'bye');
    } else {
      setState('disconnected', reason);
    }
  }

  /** Sends a frame with a fresh id and resolves with the reply that carries it. */
  function request(frame) {
    return new Promise((resolve, reject) => {
      if (!client.ws || client.state !== 'connected') {
        reject({code: 'disconnected', message: 'not connected'});
        return;
      }
      const id = client.nextId++;
      const timer = setTimeout(() => {
        client.pending.delete(id);
        reject({code: 'timeout', message: 'no answer from the gateway'});
      }, REQUEST_TIMEOUT_MS);
      client.pending.set(id, {resolve, reject, timer});
      client.ws.send(JSON.stringify(Object.assign({id}, frame)));
    });
  }

  function onFrame(f) {
    if (f.id !== undefined && client.pending.has(f.id)) {
      const p = client.pending.get(f.id);
      client.pending.delete(f.id);
      clearTimeout(p.timer);
      if (f.type === 'error') p.reject(f); else p.resolve(f);
      return;
    }
    switch (f.type) {
      case 'welcome': onWelcome(f); break;
      case 'message': onMessage(f); break;
      case 'joined': onPresenceChange(f.room, f.user, true); break;
      case 'left': onPresenceChange(f.room, f.user, false); break;
      case 'kicked': onKicked(f.reason); break;
      case 'error': onError(f); break;
      default: break; // pong, and types a later protocol version may add
    }
  }

  function onWelcome(f) {
    client.me = f.user;
    client.connId = f.conn;
    client.attempt = 0;
    ui.whoami.textContent = `${f.user} · ${f.conn}`;
    ui.login.hidden = true;
    ui.chat.hidden = false;
    ui.logout.hidden = false;
    hideNotice();
    setState('connected');
    const heartbeat = Math.max(2, Number(f.heartbeat) || client.config.heartbeatSeconds);
    client.pingTimer = setInterval(() => {
      if (client.ws && client.state === 'connected') client.ws.send(JSON.stringify({type: 'ping'}));
    }, heartbeat * 500);
    client.onlineTimer = setInterval(refreshOnline, ONLINE_REFRESH_MS);
    refreshOnline();
    for (const c of client.conversations.values()) {
      if (c.kind === 'room') joinRoom(c.name, true);
    }
    render();
  }

  function onError(f) {
    if (f.code === 'unauthorized') {
      stop('unauthorized');
      ui.login.hidden = false;
      ui.chat.hidden = true;
      showNotice(`Sign-in refused: ${f.message || 'unauthorized'}`);
      return;
    }
    showNotice(`${f.code}: ${f.message || ''}`);
  }

  function onKicked(reason) {
    if (FINAL_KICKS.has(reason)) {
      client.stopReason = `kicked: ${reason}`;
      showNotice(reason === 'replaced'
        ? 'You signed in somewhere else, so this page was disconnected.'
        : 'An operator disconnected you.');
    } else {
      showNotice(`Disconnected by the gateway (${reason}); reconnecting.`);
    }
  }

  // ---- conversations

  function conversation(kind, name) {
    const key = `${kind}:${name}`;
    let c = client.conversations.get(key);
    if (!c) {
      c = {key, kind, name, items: [], unread: 0, members: new Set()};
      client.conversations.set(key, c);
      saveSession();
    }
    return c;
  }

  function addItem(c, item) {
    c.items.push(item);
    if (c.items.length > MAX_ITEMS) c.items.splice(0, c.items.length - MAX_ITEMS);
    if (client.active === c.key) {
      ui.log.append(renderItem(item));
      ui.log.scrollTop = ui.log.scrollHeight;
    } else if (item.kind === 'message') {
      c.unread++;
      renderLists();
    }
  }

  function onMessage(f) {
    let c;
    if (f.room !== undefined) {
      c = conversation('room', f.room);
    } else if (f.to !== undefined) {
      c = conversation('dm', f.from === client.me ? f.to : f.from);
    } else {
      c = conversation('dm', f.from); // a broadcast from the server
    }
    addItem(c, {kind: 'message', from: f.from, text: bodyText(f.body), ts: f.ts, mid: f.mid});
    renderLists();
  }

  function onPresenceChange(room, user, joined) {
    // Someone came or went: the gateway-wide list may have changed too. One refresh for a burst of changes.
    if (!client.onlineRefreshPending) {
      client.onlineRefreshPending = setTimeout(() => {
        client.onlineRefreshPending = null;
        refreshOnline();
      }, 1000);
    }
    const c = client.conversations.get(`room:${room}`);
    if (!c) return;
    if (joined) c.members.add(user); else c.members.delete(user);
    addItem(c, {kind: 'system', text: `${user} ${joined ? 'joined' : 'left'}`, ts: Date.now()});
    if (client.active === c.key) renderMembers();
  }

  function joinRoom(name, rejoin) {
    const c = conversation('room', name);
    if (!rejoin) open(c.key);
    request({type: 'join', room: name})
      .then(() => request({type: 'presence', room: name}))
      .then((p) => {
        c.members = new Set(p.users);
        if (client.active === c.key) renderMembers();
        if (!rejoin) addItem(c, {kind: 'system', text: `you joined ${name}`, ts: Date.now()});
      })
      .catch((e) => addItem(c, {kind: 'error', text: `could not join: ${e.code} ${e.message || ''}`, ts: Date.now()}));
  }

  function leaveRoom(c) {
    request({type: 'leave', room: c.name}).catch(() => {});
    client.conversations.delete(c.key);
    if (client.active === c.key) client.active = null;
    saveSession();
    render();
  }

  function sendText(text) {
    const c = client.conversations.get(client.active);
    if (!c) return;
    const frame = c.kind === 'room'
      ? {type: 'publish', room: c.name, body: {text}}
      : {type: 'send', to: c.name, body: {text}};
    request(frame)
      .then((ack) => {
        // The gateway does not echo our own message back to this connection, so show it on its ack.
        if (!(c.kind === 'dm' && c.name === client.me)) {
          addItem(c, {kind: 'message', from: client.me, text, ts: Date.now(), mid: ack.mid, own: true,
            recipients: ack.recipients});
        }
      })
      .catch((e) => addItem(c, {kind: 'error', text: e.code === 'user_offline'
        ? `${c.name} is not online; the message was not delivered`
        : `not sent: ${e.code} ${e.message || ''}`, ts: Date.now()}));
  }

  function refreshOnline() {
    request({type: 'presence'})
      .then((p) => {
        ui.online.replaceChildren(...p.users.slice().sort().map((u) => el('li', {dataset: {user: u}},
          el('button', {type: 'button', class: 'link', onclick: () => open(conversation('dm', u).key)},
            u === client.me ? `${u} (you)` : u))));
        ui.onlineNote.textContent = p.truncated ? 'More users are online than listed.' : '';
      })
      .catch(() => {});
  }

  function open(key) {
    client.active = key;
    const c = client.conversations.get(key);
    if (c) c.unread = 0;
    render();
    ui.text.focus();
  }

  // ---- rendering

  function renderItem(item) {
    if (item.kind === 'message') {
      return el('li', {class: item.own ? 'msg own' : 'msg', dataset: {from: item.from, mid: item.mid}},
        el('span', {class: 'from'}, item.from),
        el('span', {class: 'body'}, item.text),
        el('time', {datetime: new Date(item.ts).toISOString()}, formatTime(item.ts)));
    }
    return el('li', {class: item.kind}, el('span', {class: 'body'}, item.text),
      el('time', {}, formatTime(item.ts)));
  }

  function renderLists() {
    const entry = (c) => el('li', {class: client.active === c.key ? 'active' : '', dataset: {key: c.key}},
      el('button', {type: 'button', class: 'link', onclick: () => open(c.key)},
        c.kind === 'room' ? `# ${c.name}` : c.name),
      c.unread > 0 ? el('span', {class: 'badge'}, String(c.unread)) : null);
    const all = [...client.conversations.values()];
    ui.roomList.replaceChildren(...all.filter((c) => c.kind === 'room').map(entry));
    ui.dmList.replaceChildren(...all.filter((c) => c.kind === 'dm').map(entry));
  }

  function renderMembers() {
    const c = client.conversations.get(client.active);
    ui.membersTitle.textContent = c && c.kind === 'dm' ? 'In this conversation' : 'In this room';
    const members = !c ? [] : c.kind === 'room' ? [...c.members].sort()
      : [...new Set([client.me, c.name])].filter(Boolean).sort();
    ui.members.replaceChildren(...members.map((u) => el('li', {dataset: {user: u}},
      u === client.me ? `${u} (you)` : u)));
  }

  function render() {
    const c = client.conversations.get(client.active);
    ui.title.textContent = c ? (c.kind === 'room' ? `# ${c.name}` : `Direct messages with ${c.name}`)
      : 'Join a room or open a direct message';
    ui.title.dataset.key = c ? c.key : '';
    ui.leave.hidden = !c || c.kind !== 'room';
    ui.log.replaceChildren(...(c ? c.items.map(renderItem) : []));
    ui.log.scrollTop = ui.log.scrollHeight;
    renderLists();
    renderMembers();
    setState(client.state, client.stateDetail);
  }

  function showNotice(text) {
    ui.notice.textContent = text;
    ui.notice.hidden = false;
  }

  function hideNotice() {
    ui.notice.hidden = true;
    ui.notice.textContent = '';
  }

  // ---- session (this tab only)

  function saveSession() {
    if (!client.token) return;
    const rooms = [...client.conversations.values()].filter((c) => c.kind === 'room').map((c) => c.name);
    sessionStorage.setItem('chat.session', JSON.stringify({token: client.token, rooms}));
  }

  function signIn(token) {
    client.token = token;
    saveSession();
    connect();
  }

  function signOut() {
    stop('signed out');
    sessionStorage.removeItem('chat.session');
    client.token = null;
    client.conversations.clear();
    client.active = null;
    ui.chat.hidden = true;
    ui.login.hidden = false;
    ui.logout.hidden = true;
    ui.whoami.textContent = '';
    render();
  }

  // ---- wiring

  ui.loginForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const token = ui.token.value.trim();
    if (token) signIn(token);
  });
  ui.logout.addEventListener('click', signOut);
  ui.joinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const name = ui.roomName.value.trim();
    if (!name) return;
    ui.roomName.value = '';
    joinRoom(name, false);
  });
  ui.dmForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const user = ui.dmUser.value.trim();
    if (!user) return;
    ui.dmUser.value = '';
    open(conversation('dm', user).key);
  });
  ui.leave.addEventListener('click', () => {
    const c = client.conversations.get(client.active);
    if (c && c.kind === 'room') leaveRoom(c);
  });
  ui.refreshOnline.addEventListener('click', refreshOnline);
  ui.composer.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = ui.text.value;
    if (!text.trim()) return;
    ui.text.value = '';
    sendText(text);
  });

  fetch('/client-config', {cache: 'no-store'})
    .then((r) => r.ok ? r.json() : Promise.reject(new Error(`HTTP ${r.status}`)))
    .then((cfg) => { Object.assign(client.config, cfg); })
    .catch(() => {})
    .finally(() => {
      if (client.config.developmentMode) {
        ui.tokenLabel.textContent = 'User name';
        ui.modeHint.textContent = 'The gateway runs in development mode: your user name is your token.';
      } else {
        ui.tokenLabel.textContent = 'Token (JWT)';
        ui.modeHint.textContent = 'Paste a token issued for this gateway.';
      }
      const saved = sessionStorage.getItem('chat.session');
      if (saved) {
        try {
          const s = JSON.parse(saved);
          for (const room of s.rooms || []) conversation('room', room);
          signIn(s.token);
        } catch (e) {
          sessionStorage.removeItem('chat.session');
        }
      }
      document.body.dataset.ready = 'true';
    });

  // For tests and the curious: the client's state, read-only in spirit.
  window.chatClient = client;
})();
