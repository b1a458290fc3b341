// Sign up (customers only; agents are created with the CLI).
import { h, charCount } from '../dom.js';
import { post } from '../api.js';
import { field, formAlert, showApiError, clearForm, focusFirstError, isEmail } from '../forms.js';

export function render(ctx) {
  ctx.setTitle('Sign up');

  const fields = {
    name: field({
      label: 'Name',
      input: h('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: '100' }),
    }),
    email: field({
      label: 'Email',
      input: h('input', {
        type: 'email', name: 'email', autocomplete: 'email', required: true,
        autocapitalize: 'none', spellcheck: 'false',
      }),
    }),
    password: field({
      label: 'Password',
      hint: 'At least 8 characters.',
      input: h('input', {
        type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: '8',
      }),
    }),
  };
  const alert = formAlert();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--wide' }, 'Sign up');
  let busy = false;

  async function onSubmit(e) {
    e.preventDefault();
    if (busy) return;
    clearForm(fields, alert);
    const name = fields.name.input.value.trim();
    const email = fields.email.input.value.trim();
    const password = fields.password.input.value;
    if (!name) fields.name.setError('Enter your name.');
    else if (charCount(name) > 100) fields.name.setError('Use at most 100 characters.');
    if (!email) fields.email.setError('Enter your email address.');
    else if (!isEmail(email)) fields.email.setError('Enter an email address like name@example.com.');
    if (charCount(password) < 8) fields.password.setError('Use at least 8 characters.');
    if (focusFirstError(fields)) return;

    busy = true;
    submit.disabled = true;
    try {
      const data = await post('/api/v1/auth/signup', { email, password, name }, { quiet401: true });
      ctx.setUser(data.user);
      ctx.announce('Account created. You are logged in.');
      ctx.navigate(ctx.nextPath(), { replace: true });
    } catch (err) {
      const bad = showApiError(err, fields, alert, { codeFields: { email_taken: 'email' } });
      if (bad) bad.input.focus();
    } finally {
      busy = false;
      submit.disabled = false;
    }
    // Disabling the focused button may have dropped focus on the page.
    if (ctx.isActive() && document.activeElement === document.body) submit.focus();
  }

  ctx.view.append(h('div', { class: 'auth' },
    h('h1', { tabindex: '-1' }, 'Sign up'),
    h('form', { class: 'card stack', novalidate: true, onsubmit: onSubmit },
      alert, fields.name.el, fields.email.el, fields.password.el, submit),
    h('p', { class: 'auth__switch' }, 'Already have an account? ', h('a', { href: '/login' }, 'Log in'))));
}
