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

// Behind a load balancer every client arrives from the balancer's address. With
// --trusted-proxy the last X-Forwarded-For entry (the one the balancer wrote) is the client;
// from anyone else the header is ignored, or a client could pick a fresh address per request.
const signupVia = (srv, forwardedFor) => api(srv.url, 'POST', '/api/v1/auth/signup', {
  json: { email: uniqueEmail('xff'), password: 'customer-pass-123', name: 'Fwd' },
  headers: { 'x-forwarded-for': forwardedFor },
});

test('behind a trusted proxy the limit counts the X-Forwarded-For client, not the proxy', async () => {
  const proxied = await startServer({ env: { HELPLINE_SIGNUP_LIMIT: '2', HELPLINE_TRUSTED_PROXIES: '127.0.0.1' } });
  try {
    // A client-supplied entry before the proxy's own is not believed: the last one counts.
    assert.equal((await signupVia(proxied, '6.6.6.6, 198.51.100.7')).status, 201);
    assert.equal((await signupVia(proxied, '7.7.7.7, 198.51.100.7')).status, 201);
    const third = await signupVia(proxied, '8.8.8.8, 198.51.100.7');
    assert.equal(third.status, 429, 'the third sign-up of 198.51.100.7 is refused');
    assert.equal((await signupVia(proxied, '198.51.100.8')).status, 201, 'another client behind the same proxy is not');
  } finally {
    await proxied.stop();
  }
});

test('without --trusted-proxy, X-Forwarded-For is ignored (a client cannot pick its address)', async () => {
  const direct = await startServer({ env: { HELPLINE_SIGNUP_LIMIT: '2' } });
  try {
    assert.equal((await signupVia(direct, '198.51.100.1')).status, 201);
    assert.equal((await signupVia(direct, '198.51.100.2')).status, 201);
    assert.equal((await signupVia(direct, '198.51.100.3')).status, 429);
  } finally {
    await direct.stop();
  }
});
