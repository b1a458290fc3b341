// Sign-ups cost an Argon2id hash each: one address may make --signup-limit of
// them per 15 minutes; then 429 rate_limited with Retry-After.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, api, uniqueEmail } from './lib/harness.mjs';

const server = await startServer({ env: { HELPLINE_SIGNUP_LIMIT: '3' } });
after(() => server.stop());

test('the fourth sign-up from one address within the window gets 429 with Retry-After', async () => {
  const attempt = () => api(server.url, 'POST', '/api/v1/auth/signup',
    { json: { email: uniqueEmail('limit'), password: 'customer-pass-123', name: 'Lim' } });
  for (let i = 0; i < 3; i++) assert.equal((await attempt()).status, 201);
  const refused = await attempt();
  assert.equal(refused.status, 429);
  assert.equal(refused.json.error.code, 'rate_limited');
  assert.ok(Number(refused.headers.get('retry-after')) > 0, 'Retry-After is set');
  // Logging in is not a sign-up: still fine.
  assert.equal((await api(server.url, 'GET', '/healthz')).status, 200);
});
