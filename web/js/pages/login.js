// Log in: shown at /login, and at / for visitors.
import { h } from '../dom.js';
import { post } from '../api.js';
import { field, formAlert, showApiError, clearForm, focusFirstError } from '../forms.js';

export function render(ctx) {
  ctx.setTitle('Log in');

  const fields = {
    email: field({
      label: 'Email',
      input: h('input', {
        type: 'email', name: 'email', autocomplete: 'username', required: true,
        autocapitalize: 'none', spellcheck: 'false',
      }),
    }),
    password: field({
      label: 'Password',
      input: h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true }),
    }),
  };
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--wide' }, 'Log in');
  let busy = false;

  async function onSubmit(e) {
    e.preventDefault();
    if (busy) return;
    clearForm(fields, alert);
    const email = fields.email.input.value.trim();
    const password = fields.password.input.value;
    if (!email) fields.email.setError('Enter your email address.');
    if (!password) fields.password.setError('Enter your password.');
    if (focusFirstError(fields)) return;

    busy = true;
    submit.disabled = true;
    try {
      const data = await post('/api/v1/auth/login', { email, password }, { quiet401: true });
      ctx.setUser(data.user);
      ctx.announce('Logged in.');
      ctx.navigate(ctx.nextPath(), { replace: true });
    } catch (err) {
      const bad = showApiError(err, fields, alert);
      if (bad) bad.input.focus();
    } finally {
      busy = false;
      submit.disabled = false;
    }
    // Disabling the focused button may have dropped focus on the page.
    if (ctx.isActive() && document.activeElement === document.body) submit.focus();
  }

  ctx.view.append(h('div', { class: 'auth' },
    h('h1', { tabindex: '-1' }, 'Log in'),
    h('form', { class: 'card stack', novalidate: true, onsubmit: onSubmit },
      alert, fields.email.el, fields.password.el, submit),
    h('p', { class: 'auth__switch' }, 'New to Helpline? ', h('a', { href: '/signup' }, 'Sign up'))));
}
