// New ticket (customers): subject, description, category, priority and 1..3
// screenshots, sent as multipart/form-data.
import { h, charCount, PRIORITY_LABELS } from '../dom.js';
import { categories, upload } from '../api.js';
import { field, formAlert, setAlert, showApiError, focusFirstError } from '../forms.js';
import { screenshotPicker } from '../components/screenshots.js';

// Errors the server reports without a field but that are about the files.
const FILE_ERRORS = {
  too_large: 'screenshots',
  unsupported_media_type: 'screenshots',
  invalid_image: 'screenshots',
  image_too_large: 'screenshots',
};

function agentsOnly(ctx) {
  ctx.view.append(
    h('h1', { tabindex: '-1' }, 'New ticket'),
    h('p', null, 'Only customers create tickets. Agents handle them from the ticket list.'),
    h('p', null, h('a', { href: '/' }, 'Back to tickets')));
}

async function loadCategories(ctx) {
  const loading = h('p', { class: 'loading' }, 'Loading…');
  ctx.view.append(loading);
  try {
    return await categories();
  } catch (err) {
    if (ctx.isActive()) {
      ctx.view.append(h('div', { class: 'form-alert', role: 'alert' },
        h('p', null, `Could not load the categories: ${err.message}`),
        h('button', { type: 'button', class: 'btn', onclick: () => ctx.reload() }, 'Try again')));
    }
    return null;
  } finally {
    loading.remove();
  }
}

export async function render(ctx) {
  ctx.setTitle('New ticket');
  if (ctx.user.role !== 'customer') {
    agentsOnly(ctx);
    return;
  }
  const head = h('h1', { tabindex: '-1' }, 'New ticket');
  ctx.view.append(head);
  const cats = await loadCategories(ctx);
  if (!cats || !ctx.isActive()) return;

  const picker = screenshotPicker(ctx);
  const fields = {
    subject: field({
      label: 'Subject',
      hint: 'A short summary, at most 200 characters.',
      input: h('input', { type: 'text', name: 'subject', maxlength: '200', required: true, autocomplete: 'off' }),
    }),
    description: field({
      label: 'Description',
      hint: 'What happened, and what did you expect? At most 10,000 characters.',
      input: h('textarea', { name: 'description', maxlength: '10000', rows: '8', required: true }),
    }),
    category: field({
      label: 'Category',
      input: h('select', { name: 'category', required: true, value: cats[0] ? cats[0].id : '' },
        cats.map((c) => h('option', { value: c.id }, c.name))),
    }),
    priority: field({
      label: 'Priority',
      input: h('select', { name: 'priority', value: 'normal' },
        Object.entries(PRIORITY_LABELS).map(([value, label]) => h('option', { value }, label))),
    }),
    screenshots: picker.field,
  };
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary' }, 'Create ticket');
  const progress = h('p', { class: 'progress-text' });
  let busy = false;

  function validate() {
    const subject = fields.subject.input.value.trim();
    const description = fields.description.input.value;
    if (!subject) fields.subject.setError('Enter a subject.');
    else if (charCount(subject) > 200) fields.subject.setError('Use at most 200 characters.');
    if (!description.trim()) fields.description.setError('Describe the problem.');
    else if (charCount(description) > 10000) fields.description.setError('Use at most 10,000 characters.');
    if (!fields.category.input.value) fields.category.setError('Choose a category.');
    return { subject, description };
  }

  async function onSubmit(e) {
    e.preventDefault();
    if (busy) return;
    for (const [name, f] of Object.entries(fields)) if (name !== 'screenshots') f.clearError();
    setAlert(alert, '');
    const { subject, description } = validate();
    const filesOk = await picker.validate();
    if (focusFirstError(fields) || !filesOk) return;

    const form = new FormData();
    form.append('subject', subject);
    form.append('description', description);
    form.append('category', fields.category.input.value);
    form.append('priority', fields.priority.input.value);
    for (const { file, name } of picker.files()) form.append('screenshots', file, name);

    busy = true;
    submit.disabled = true;
    progress.textContent = 'Sending… 0%';
    ctx.announce('Creating your ticket…');
    try {
      const data = await upload('/api/v1/tickets', form, (fraction) => {
        progress.textContent = fraction < 1
          ? `Sending… ${Math.floor(fraction * 100)}%`
          : 'Checking your screenshots…';
      });
      ctx.announce('Ticket created.');
      ctx.navigate(`/tickets/${data.ticket.id}`);
    } catch (err) {
      if (!ctx.isActive()) return;
      const bad = showApiError(err, fields, alert, { codeFields: FILE_ERRORS });
      ctx.announce('The ticket was not created.');
      if (bad) bad.input.focus();
    } finally {
      busy = false;
      submit.disabled = false;
      progress.textContent = '';
    }
    // Disabling the focused button may have dropped focus on the page.
    if (ctx.isActive() && document.activeElement === document.body) submit.focus();
  }

  ctx.view.append(h('form', { class: 'card stack ticket-form', novalidate: true, onsubmit: onSubmit },
    alert,
    fields.subject.el,
    fields.description.el,
    h('div', { class: 'row' }, fields.category.el, fields.priority.el),
    fields.screenshots.el,
    h('div', { class: 'form-actions' }, submit, progress)));
}
