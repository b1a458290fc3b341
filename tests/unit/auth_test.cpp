#include <gtest/gtest.h>

#include "auth/password.hpp"
#include "auth/throttle.hpp"

using namespace helpline::auth;

class Passwords : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { InitCrypto(); }
};

TEST_F(Passwords, HashIsArgon2idAndVerifies) {
  auto h = HashPassword("correct horse");
  EXPECT_TRUE(h.starts_with("$argon2id$"));
  EXPECT_TRUE(VerifyPassword(h, "correct horse"));
  EXPECT_FALSE(VerifyPassword(h, "correct horsE"));
  EXPECT_NE(h, HashPassword("correct horse"));  // salted
}

TEST_F(Passwords, TokensAreRandomAndOnlyTheirHashIsKept) {
  auto a = NewToken(), b = NewToken();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(HashToken(a), HashToken(a));
  EXPECT_NE(HashToken(a), HashToken(b));
  EXPECT_EQ(HashToken(a).size(), 64u);
  EXPECT_EQ(HashToken(a).find(a), std::string::npos);
}

TEST(Throttle, BlocksAfterTheLimitAndForgetsAfterTheWindow) {
  Throttle t(3, 1000);
  EXPECT_EQ(t.RetryAfter("k", 0), 0);
  t.RecordFailure("k", 0);
  t.RecordFailure("k", 100);
  EXPECT_EQ(t.RetryAfter("k", 200), 0);
  t.RecordFailure("k", 200);
  EXPECT_EQ(t.RetryAfter("k", 300), 1);  // blocked until 1000 ms after the first failure
  EXPECT_EQ(t.RetryAfter("other", 300), 0);
  EXPECT_EQ(t.RetryAfter("k", 1001), 0);
  t.Reset("k");
  EXPECT_EQ(t.RetryAfter("k", 1001), 0);
}
