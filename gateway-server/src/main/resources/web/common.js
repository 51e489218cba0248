/*
 * Helpers shared by the chat client (/) and the dashboard (/admin). Plain browser JavaScript: no build step,
 * nothing fetched from elsewhere. Text from the network is only ever put into the page as text (textContent),
 * never as HTML.
 */
'use strict';

const ChatCommon = (() => {
  /** Creates an element: el('li', {class: 'x', dataset: {from: 'bob'}}, 'text', childNode). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'dataset') Object.assign(node.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === undefined || c === null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  /**
   * Delay before reconnect attempt number `attempt` (0 for the first retry): exponential backoff capped at
   * `capMs`, with "equal jitter" (half fixed, half random) so that clients dropped together by a restart do not
   * come back in lockstep, while no retry comes sooner than half its step.
   */
  function backoffDelay(attempt, baseMs, capMs, random) {
    const rnd = random || Math.random;
    const step = Math.min(capMs, baseMs * Math.pow(2, Math.min(attempt, 30)));
    return Math.round(step / 2 + rnd() * step / 2);
  }

  function formatTime(ms) {
    const d = new Date(ms);
    return d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
  }

  function formatDuration(seconds) {
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

  function formatBytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }

  function formatNumber(n) {
    return Number(n).toLocaleString('en-US', {maximumFractionDigits: 1});
  }

  /** A message body as text: a string as it is, {text: "..."} by its text, anything else as JSON. */
  function bodyText(body) {
    if (typeof body === 'string') return body;
    if (body && typeof body === 'object' && typeof body.text === 'string') return body.text;
    return JSON.stringify(body);
  }

  return {el, backoffDelay, formatTime, formatDuration, formatBytes, formatNumber, bodyText};
})();
