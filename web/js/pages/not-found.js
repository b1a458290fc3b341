// Any path the router does not know.
import { h } from '../dom.js';

export function render(ctx) {
  ctx.setTitle('Page not found');
  ctx.view.append(
    h('h1', { tabindex: '-1' }, 'Page not found'),
    h('p', null, 'There is nothing at this address.'),
    h('p', null, h('a', { href: '/' }, 'Go to the home page')));
}
