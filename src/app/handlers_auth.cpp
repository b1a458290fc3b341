#include "app/handlers.hpp"
#include "auth/password.hpp"
#include "core/json.hpp"

namespace helpline::handlers {

namespace {
std::string SessionCookie(const App& app, const Request& req, const std::string& token, bool clear) {
  std::string c = "helpline_session=" + (clear ? std::string() : token) + "; Path=/; HttpOnly; SameSite=Lax";
  c += clear ? "; Max-Age=0" : "; Max-Age=" + std::to_string(auth::AuthService::kSessionLifetimeMs / 1000);
  if (req.scheme == "https" || app.config.public_origin.starts_with("https://")) c += "; Secure";
  return c;
}

Response SessionResponse(App& app, Request& req, int status, const auth::SessionStart& s) {
  auto res = JsonResponse(status, {{"user", json::UserJson(s.user)}, {"token", s.token}});
  res.Set("Set-Cookie", SessionCookie(app, req, s.token, false));
  return res;
}
}  // namespace

Response Signup(App& app, Request& req) {
  auto body = json::ParseObject(req.body);
  if (!body) return ErrorResponse(body.error());
  auto name = json::RequiredString(*body, "name");
  if (!name) return ErrorResponse(name.error());
  auto email = json::RequiredString(*body, "email");
  if (!email) return ErrorResponse(email.error());
  auto password = json::RequiredString(*body, "password");
  if (!password) return ErrorResponse(password.error());
  auto started = app.auth.Signup(*email, *password, *name, req.remote_address);
  if (!started) return ErrorResponse(started.error());
  return SessionResponse(app, req, 201, *started);
}

Response Login(App& app, Request& req) {
  auto body = json::ParseObject(req.body);
  if (!body) return ErrorResponse(body.error());
  auto email = json::RequiredString(*body, "email");
  if (!email) return ErrorResponse(email.error());
  auto password = json::RequiredString(*body, "password");
  if (!password) return ErrorResponse(password.error());
  auto started = app.auth.Login(*email, *password, req.remote_address);
  if (!started) return ErrorResponse(started.error());
  return SessionResponse(app, req, 200, *started);
}

Response Logout(App& app, Request& req) {
  app.auth.Logout(req.session_token);
  app.bus.Publish(SessionEnded{auth::HashToken(req.session_token)});  // its WebSockets close too
  auto res = NoContent();
  res.Set("Set-Cookie", SessionCookie(app, req, "", true));
  return res;
}

Response Me(App& app, Request& req) {
  return JsonResponse(200, {{"user", json::UserJson(*req.user)}, {"unread_total", app.store.UnreadTotal(*req.user)}});
}

}  // namespace helpline::handlers
