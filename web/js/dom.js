// DOM helpers and formatting shared by every page.
// User text only ever reaches the page through text nodes and setAttribute:
// nothing here parses HTML.

// Properties that must be set on the element itself (after its children
// exist, so a <select>'s value can pick one of its options).
const PROPS = new Set(['value', 'checked', 'selected', 'disabled', 'multiple', 'indeterminate']);
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction']);

// Only relative URLs, http(s), blob: and data:image may go into href/src.
export function safeUrl(url) {
  const s = String(url).trim();
  if (/^(https?:|blob:|data:image\/(png|jpeg);)/i.test(s)) return s;
  if (/^[a-z][a-z0-9+.-]*:/i.test(s)) return '#';
  return s;
}

function appendChildren(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) appendChildren(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

// h('a', {href: '/x', class: 'link', onclick: fn}, 'text', otherNode, [more])
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  const props = [];
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (PROPS.has(key)) {
      props.push([key, value]);
    } else if (key === 'style') {
      throw new Error('h(): use element.style from JS, not a style attribute');
    } else {
      const v = value === true ? '' : String(value);
      el.setAttribute(key, URL_ATTRS.has(key) ? safeUrl(v) : v);
    }
  }
  appendChildren(el, children);
  for (const [key, value] of props) el[key] = value;
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

let idSeq = 0;
export function uid(prefix = 'id') {
  idSeq += 1;
  return `${prefix}-${idSeq}`;
}

// ---- labels ------------------------------------------------------------

export const STATUS_LABELS = {
  open: 'Open',
  in_progress: 'In progress',
  resolved: 'Resolved',
  closed: 'Closed',
};

export const PRIORITY_LABELS = {
  low: 'Low',
  normal: 'Normal',
  high: 'High',
  urgent: 'Urgent',
};

export function statusBadge(status) {
  const known = Object.hasOwn(STATUS_LABELS, status);
  return h('span', { class: ['badge', known ? `badge--${status}` : 'badge--unknown'] },
    known ? STATUS_LABELS[status] : String(status));
}

export function priorityLabel(priority) {
  return Object.hasOwn(PRIORITY_LABELS, priority) ? PRIORITY_LABELS[priority] : String(priority);
}

export function priorityTag(priority) {
  const known = Object.hasOwn(PRIORITY_LABELS, priority);
  return h('span', { class: ['priority', known && `priority--${priority}`] },
    `${priorityLabel(priority)} priority`);
}

// ---- time --------------------------------------------------------------

const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'} ago`;
}

export function relativeTime(iso, now = Date.now()) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return String(iso);
  const seconds = Math.round((now - t) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return plural(hours, 'hour');
  const days = Math.round(hours / 24);
  if (days === 1) return 'yesterday';
  if (days < 7) return plural(days, 'day');
  return dateFormat.format(t);
}

export function exactTime(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? String(iso) : exactFormat.format(t);
}

// <time datetime="..." title="exact">3 min ago</time>; app.js refreshes these.
export function timeEl(iso) {
  return h('time', { datetime: iso, title: exactTime(iso), 'data-relative': true }, relativeTime(iso));
}

export function refreshTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[data-relative]')) {
    el.textContent = relativeTime(el.getAttribute('datetime'), now);
  }
}

// ---- misc --------------------------------------------------------------

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

// Lengths are counted in Unicode code points, as the server does.
export function charCount(s) {
  let n = 0;
  for (const _ of s) n += 1; // eslint-disable-line no-unused-vars
  return n;
}
