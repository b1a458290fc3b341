#pragma once
// Passwords (Argon2id) and session tokens (random, stored only as a hash), via libsodium.
#include <string>
#include <string_view>

namespace helpline::auth {

void InitCrypto();  // sodium_init(); call once at start

std::string HashPassword(std::string_view password);  // Argon2id, "interactive" limits (~55 ms)
bool VerifyPassword(std::string_view hash, std::string_view password);

std::string NewToken();                        // 32 random bytes, base64url, 43 chars
std::string HashToken(std::string_view token); // hex SHA-256: what the store keeps
std::string RandomPassword();                  // for the first agent account

}  // namespace helpline::auth
