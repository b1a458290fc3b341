// Form building blocks: a labelled field with hint and error text linked by
// aria-describedby, a role="alert" region for form-level errors, and the glue
// that puts an ApiError where it belongs.
import { h, uid } from './dom.js';

// field({label, input, hint}) -> {el, input, setError(msg | [msgs]), clearError()}
export function field({ label, input, hint }) {
  const id = input.id || uid('f');
  input.id = id;
  const hintEl = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error` });

  function describe() {
    const ids = [];
    if (hintEl) ids.push(hintEl.id);
    if (errorEl.textContent) ids.push(errorEl.id);
    if (ids.length) input.setAttribute('aria-describedby', ids.join(' '));
    else input.removeAttribute('aria-describedby');
  }

  const api = {
    input,
    el: h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, input, errorEl),
    setError(msg) {
      const lines = (Array.isArray(msg) ? msg : [msg]).filter(Boolean);
      errorEl.replaceChildren(...lines.map((line) => h('span', null, line)));
      if (lines.length) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
      describe();
    },
    clearError() {
      api.setError([]);
    },
    get hasError() {
      return errorEl.textContent !== '';
    },
    // Let a page put extra content (drop zone, previews) between input and error.
    errorEl,
    hintEl,
  };
  describe();
  // Typing into a field clears its error; the file control manages its own.
  if (input.type !== 'file') input.addEventListener('input', () => api.clearError());
  return api;
}

export function formAlert() {
  return h('div', { class: 'form-alert', role: 'alert' });
}

export function setAlert(alertEl, message) {
  alertEl.replaceChildren(...(message ? [h('p', null, message)] : []));
}

function retryText(err) {
  const seconds = Number(err.retryAfter);
  if (!err.retryAfter || !Number.isFinite(seconds) || seconds <= 0) return '';
  if (seconds < 90) return ` Try again in ${Math.ceil(seconds)} seconds.`;
  return ` Try again in ${Math.ceil(seconds / 60)} minutes.`;
}

// Shows err next to the field it names (err.field, or codeFields[err.code]
// when the server leaves field out), else in the alert region. Returns the
// field that got the error, if any, so the caller can focus it.
export function showApiError(err, fields, alertEl, { codeFields = {} } = {}) {
  let name = err.field || codeFields[err.code] || null;
  // "screenshots[1]" and the like belong to the "screenshots" control.
  if (name && !fields[name]) name = Object.keys(fields).find((k) => name.startsWith(k)) || null;
  if (name) {
    fields[name].setError(err.message);
    return fields[name];
  }
  const message = err.message || 'Something went wrong.';
  setAlert(alertEl, err.status === 429 ? message + retryText(err) : message);
  return null;
}

export function clearForm(fields, alertEl) {
  for (const f of Object.values(fields)) f.clearError();
  setAlert(alertEl, '');
}

// Focus the first field with an error; returns true if there was one.
export function focusFirstError(fields) {
  const bad = Object.values(fields).find((f) => f.hasError);
  if (bad) bad.input.focus();
  return Boolean(bad);
}

export function isEmail(s) {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s);
}
