// fetch wrapper for /api/v1: JSON in and out, the session cookie, and errors
// turned into ApiError objects that carry the contract's {code, message, field}.

export class ApiError extends Error {
  constructor(status, code, message, field = null, retryAfter = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

const FALLBACK_MESSAGES = {
  0: 'Could not reach the server. Check your connection and try again.',
  401: 'Please log in again.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  413: 'That is too large.',
  429: 'Too many attempts. Please wait a moment and try again.',
};

function fallbackMessage(status) {
  return FALLBACK_MESSAGES[status] || (status >= 500
    ? 'Something went wrong on our side. Please try again.'
    : 'The request could not be completed.');
}

let unauthorizedHandler = null;

// app.js registers what to do when a session turns out to be gone.
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

function toError(status, bodyText, retryAfter) {
  let err = null;
  try {
    err = JSON.parse(bodyText).error;
  } catch {
    err = null;
  }
  err = err && typeof err === 'object' ? err : {};
  return new ApiError(status, err.code || `http_${status}`, err.message || fallbackMessage(status),
    err.field || null, retryAfter);
}

function withQuery(path, query) {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v != null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

// options: json (body to send as JSON), query (object), signal,
// quiet401 (do not treat a 401 as "session expired", e.g. for /me and login).
export async function request(method, path, { json, query, signal, quiet401 = false } = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', signal };
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(withQuery(path, query), init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network_error', fallbackMessage(0));
  }
  const text = res.status === 204 ? '' : await res.text();
  if (!res.ok) {
    const error = toError(res.status, text, res.headers.get('Retry-After'));
    if (res.status === 401 && !quiet401 && unauthorizedHandler) unauthorizedHandler(error);
    throw error;
  }
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(res.status, 'invalid_response', 'The server sent an answer we could not read.');
  }
}

export const get = (path, opts) => request('GET', path, opts);
export const post = (path, json, opts = {}) => request('POST', path, { ...opts, json });
export const patch = (path, json, opts = {}) => request('PATCH', path, { ...opts, json });

// multipart POST through XHR, because fetch cannot report upload progress.
// onProgress(fraction 0..1) is called while the body goes out.
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(xhr.responseText ? JSON.parse(xhr.responseText) : null);
        } catch {
          reject(new ApiError(xhr.status, 'invalid_response', 'The server sent an answer we could not read.'));
        }
        return;
      }
      const error = toError(xhr.status, xhr.responseText, xhr.getResponseHeader('Retry-After'));
      if (xhr.status === 401 && unauthorizedHandler) unauthorizedHandler(error);
      reject(error);
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network_error', fallbackMessage(0))));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    xhr.send(formData);
  });
}

// Categories rarely change: fetch once per page load, share the promise.
let categoriesPromise = null;

export function categories() {
  if (!categoriesPromise) {
    categoriesPromise = get('/api/v1/categories')
      .then((data) => (data && Array.isArray(data.categories) ? data.categories : []))
      .catch((e) => {
        categoriesPromise = null;
        throw e;
      });
  }
  return categoriesPromise;
}

// id -> name; a missing category list only costs the pretty names.
export async function categoryNames() {
  try {
    return new Map((await categories()).map((c) => [c.id, c.name]));
  } catch {
    return new Map();
  }
}
