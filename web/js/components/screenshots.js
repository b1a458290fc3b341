// The "Screenshots" control of the new-ticket form: a file input, a drop zone,
// paste-anywhere, previews with Remove buttons, and the same checks as the
// server (1..3 files, PNG or JPEG by content, at most 4 MiB each).
import { h, formatBytes } from '../dom.js';
import { field } from '../forms.js';

export const MIN_FILES = 1;
export const MAX_FILES = 3;
export const MAX_BYTES = 4 * 1024 * 1024;

// The type is decided by the first bytes, never by the name or declared type.
async function sniff(file) {
  const b = new Uint8Array(await file.slice(0, 4).arrayBuffer());
  if (b.length >= 4 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  return null;
}

// Two pasted images are both "image.png": keep names (and so the names of
// the Remove buttons) unique.
function uniqueName(name, taken) {
  if (!taken.has(name)) return name;
  const dot = name.lastIndexOf('.');
  const base = dot > 0 ? name.slice(0, dot) : name;
  const ext = dot > 0 ? name.slice(dot) : '';
  for (let i = 2; ; i += 1) {
    const candidate = `${base} (${i})${ext}`;
    if (!taken.has(candidate)) return candidate;
  }
}

function plural(n) {
  return `${n} screenshot${n === 1 ? '' : 's'}`;
}

export function screenshotPicker(ctx) {
  const input = h('input', { type: 'file', name: 'screenshots', multiple: true, accept: 'image/png,image/jpeg' });
  const f = field({
    label: 'Screenshots',
    input,
    hint: `${MIN_FILES} to ${MAX_FILES} PNG or JPEG images, at most 4 MB each.`,
  });
  const zone = h('div', { class: 'dropzone' },
    input,
    h('p', { class: 'dropzone__text' }, 'You can also drop images here, or paste one from the clipboard.'));
  const previews = h('ul', { class: 'previews', 'aria-label': 'Selected files', hidden: true });
  f.el.insertBefore(zone, f.errorEl);
  f.el.append(previews);

  // {name, file, size, source: 'input'|'drop'|'paste', url, error}
  let entries = [];
  let queue = Promise.resolve();
  let requireOne = false; // after a submit attempt, "no files" is an error too

  function errors() {
    const lines = entries.filter((e) => e.error).map((e) => e.error);
    if (entries.length > MAX_FILES) {
      lines.push(`Attach at most ${MAX_FILES} screenshots (you have ${entries.length}); remove ${entries.length - MAX_FILES}.`);
    }
    if (requireOne && entries.length < MIN_FILES) lines.push('Add at least one screenshot (PNG or JPEG).');
    return lines;
  }

  function showErrors() {
    const lines = errors();
    f.setError(lines);
    zone.classList.toggle('dropzone--invalid', lines.length > 0);
    return lines.length === 0;
  }

  // Mirror the input's own selection, so the native control tells the truth.
  function syncInput() {
    const own = entries.filter((e) => e.source === 'input');
    try {
      const dt = new DataTransfer();
      for (const e of own) dt.items.add(e.file);
      input.files = dt.files;
    } catch {
      if (!own.length) input.value = '';
    }
  }

  function remove(entry) {
    const i = entries.indexOf(entry);
    if (i < 0) return;
    if (entry.url) URL.revokeObjectURL(entry.url);
    entries.splice(i, 1);
    if (entry.source === 'input') syncInput();
    renderPreviews();
    showErrors();
    ctx.announce(`${entry.name} removed.`);
    const buttons = previews.querySelectorAll('button');
    (buttons[Math.min(i, buttons.length - 1)] || input).focus();
  }

  function preview(entry) {
    const img = entry.url
      ? h('img', { src: entry.url, alt: '', class: 'preview__img' })
      : h('span', { class: 'preview__img preview__img--none', 'aria-hidden': 'true' }, '?');
    return h('li', { class: ['preview', entry.error && 'preview--invalid'] },
      img,
      h('div', { class: 'preview__text' },
        h('p', { class: 'preview__name' }, entry.name),
        h('p', { class: 'preview__size' }, formatBytes(entry.size))),
      h('button', {
        type: 'button', class: 'btn btn--small', 'aria-label': `Remove ${entry.name}`,
        onclick: () => remove(entry),
      }, 'Remove'));
  }

  function renderPreviews() {
    previews.replaceChildren(...entries.map(preview));
    previews.hidden = entries.length === 0;
  }

  async function check(entry) {
    const kind = await sniff(entry.file).catch(() => null);
    if (!kind) entry.error = `${entry.name} is not a PNG or JPEG image`;
    else if (entry.size > MAX_BYTES) entry.error = `${entry.name} is larger than 4 MB`;
    else entry.url = URL.createObjectURL(entry.file);
  }

  // Choosing files in the input replaces the previous choice made there (as
  // a file input does); dropped and pasted images are added to the list.
  async function add(files, source) {
    if (source === 'input') {
      for (const e of entries) if (e.source === 'input' && e.url) URL.revokeObjectURL(e.url);
      entries = entries.filter((e) => e.source !== 'input');
    }
    const taken = new Set(entries.map((e) => e.name));
    const fresh = files.map((file) => {
      const name = uniqueName(file.name || 'image.png', taken);
      taken.add(name);
      return { name, file, size: file.size, source, url: null, error: null };
    });
    await Promise.all(fresh.map(check));
    if (!ctx.isActive()) {
      for (const e of fresh) if (e.url) URL.revokeObjectURL(e.url);
      return;
    }
    entries.push(...fresh);
    renderPreviews();
    showErrors();
    if (fresh.length) ctx.announce(`${plural(fresh.length)} added, ${plural(entries.length)} in total.`);
  }

  function enqueue(files, source) {
    const list = [...files];
    queue = queue.then(() => add(list, source)).catch(() => {});
    return queue;
  }

  input.addEventListener('change', () => enqueue(input.files, 'input'));

  // Drag and drop onto the zone.
  let depth = 0;
  zone.addEventListener('dragenter', (e) => {
    e.preventDefault();
    depth += 1;
    zone.classList.add('dropzone--active');
  });
  zone.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (!depth) zone.classList.remove('dropzone--active');
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    depth = 0;
    zone.classList.remove('dropzone--active');
    if (e.dataTransfer && e.dataTransfer.files.length) enqueue(e.dataTransfer.files, 'drop');
  });

  // A file dropped beside the zone must not make the browser leave the form.
  const swallow = (e) => {
    if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) e.preventDefault();
  };
  // Paste anywhere on the page adds an image; a text paste is left alone.
  const onPaste = (e) => {
    const data = e.clipboardData;
    if (!data) return;
    let files = [...data.files];
    if (!files.length) {
      files = [...data.items].filter((i) => i.kind === 'file').map((i) => i.getAsFile()).filter(Boolean);
    }
    if (!files.length) return;
    e.preventDefault();
    enqueue(files, 'paste');
  };
  document.addEventListener('dragover', swallow);
  document.addEventListener('drop', swallow);
  document.addEventListener('paste', onPaste);
  ctx.onCleanup(() => {
    document.removeEventListener('dragover', swallow);
    document.removeEventListener('drop', swallow);
    document.removeEventListener('paste', onPaste);
    for (const e of entries) if (e.url) URL.revokeObjectURL(e.url);
  });

  return {
    field: f,
    // Waits for pending checks, shows every problem; true if the files may go.
    async validate() {
      await queue;
      requireOne = true;
      return showErrors();
    },
    files: () => entries.map((e) => ({ file: e.file, name: e.name })),
  };
}
