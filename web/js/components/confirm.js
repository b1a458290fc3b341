// A modal confirmation built on <dialog>: confirmDialog({text, confirm,
// cancel}) -> Promise<boolean>. Focus starts on the safe choice (Cancel);
// Escape cancels; focus returns to whatever had it before.
import { h, uid } from '../dom.js';

export function confirmDialog({ text, confirm = 'OK', cancel = 'Cancel', danger = false }) {
  const trigger = document.activeElement;
  const textId = uid('confirm-text');
  const yes = h('button', { type: 'button', class: ['btn', danger ? 'btn--danger' : 'btn--primary'] }, confirm);
  const no = h('button', { type: 'button', class: 'btn' }, cancel);
  const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': textId },
    h('p', { id: textId, class: 'confirm__text' }, text),
    h('div', { class: 'confirm__actions' }, no, yes));

  // Old browsers without <dialog>: fall back to the built-in confirm().
  if (typeof dialog.showModal !== 'function') {
    return Promise.resolve(window.confirm(text)); // eslint-disable-line no-alert
  }

  return new Promise((resolve) => {
    let answer = false;
    yes.addEventListener('click', () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (trigger instanceof HTMLElement && trigger.isConnected) trigger.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
