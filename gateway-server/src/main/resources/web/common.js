/*
 * Helpers shared by the chat page (/) and the dashboard (/admin), as an ES module. Plain browser JavaScript: no
 * build step, nothing fetched from elsewhere. Text from the network is only ever put into the page as text
 * (textContent), never as HTML.
 */

/** Creates an element: el('li', {class: 'x', dataset: {from: 'bob'}}, 'text', childNode). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'dataset') {
      for (const [dk, dv] of Object.entries(v)) if (dv !== undefined && dv !== null) node.dataset[dk] = String(dv);
    } else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** The /client-config document, with defaults for what an older gateway does not say. */
export async function clientConfig() {
  const defaults = {webSocketPath: '/ws', developmentMode: false, heartbeatSeconds: 60, maxFrameBytes: 65536,
    adminApi: false, inboxTtlSeconds: 0};
  try {
    const res = await fetch('/client-config', {cache: 'no-store'});
    if (!res.ok) return defaults;
    return {...defaults, ...(await res.json())};
  } catch (e) {
    return defaults;
  }
}

export function formatTime(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
}

export function formatDuration(seconds) {
  seconds = Math.max(0, Math.floor(seconds));
  const d = Math.floor(seconds / 86400);
  const h = Math.floor(seconds % 86400 / 3600);
  const m = Math.floor(seconds % 3600 / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

export function formatNumber(n) {
  return Number(n).toLocaleString('en-US', {maximumFractionDigits: 1});
}

/** A message body as text: a string as it is, {text: "..."} by its text, anything else as JSON. */
export function bodyText(body) {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object' && typeof body.text === 'string') return body.text;
  return JSON.stringify(body);
}

/**
 * Transient notices ("toasts") in a region of their own, out of the way of the page's controls: each goes away by
 * itself after `ms` (errors stay a little longer) or when clicked. At most `max` at once; the oldest goes first.
 */
export function notifier(region, {ms = 5000, max = 3} = {}) {
  return function notify(text, kind = 'info') {
    const item = el('div', {class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status'}, text);
    const remove = () => item.remove();
    item.addEventListener('click', remove);
    region.append(item);
    while (region.children.length > max) region.firstElementChild.remove();
    setTimeout(remove, kind === 'error' ? ms * 1.6 : ms);
    return item;
  };
}
