#include <gtest/gtest.h>

#include "core/text.hpp"

using namespace helpline::text;

TEST(Text, CountsCodePointsNotBytes) {
  EXPECT_EQ(CodePoints("abc"), 3u);
  EXPECT_EQ(CodePoints("h\xC3\xA9llo"), 5u);            // é
  EXPECT_EQ(CodePoints("\xF0\x9F\x98\x80"), 1u);        // an emoji
  EXPECT_EQ(CodePoints("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"), 4u);  // Hebrew
}

TEST(Text, RefusesInvalidUtf8) {
  EXPECT_FALSE(CodePoints("\xC3"));              // truncated
  EXPECT_FALSE(CodePoints("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(CodePoints("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(CodePoints("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(CodePoints("\xFF"));
}

TEST(Text, LengthBounds) {
  EXPECT_TRUE(LengthWithin("a", 1, 1));
  EXPECT_FALSE(LengthWithin("", 1, 10));
  EXPECT_TRUE(LengthWithin(std::string(200, 'x'), 1, 200));
  EXPECT_FALSE(LengthWithin(std::string(201, 'x'), 1, 200));
  std::string emoji200;
  for (int i = 0; i < 200; ++i) emoji200 += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(LengthWithin(emoji200, 1, 200));  // 800 bytes, 200 code points
}

TEST(Text, Emails) {
  EXPECT_TRUE(IsEmail("a@b.co"));
  EXPECT_TRUE(IsEmail("first.last+tag@example.com"));
  EXPECT_FALSE(IsEmail("no-at.example.com"));
  EXPECT_FALSE(IsEmail("a@nodot"));
  EXPECT_FALSE(IsEmail("@b.co"));
  EXPECT_FALSE(IsEmail("a@b.co."));
  EXPECT_FALSE(IsEmail("a b@c.de"));
  EXPECT_FALSE(IsEmail("a@@b.co"));
  EXPECT_FALSE(IsEmail(""));
}
