#include <gtest/gtest.h>

#include "tickets/multipart.hpp"

using namespace helpline;

namespace {
std::string Body(const std::string& b) {
  return "--" + b + "\r\nContent-Disposition: form-data; name=\"subject\"\r\n\r\nHello\r\n" + "--" + b +
         "\r\nContent-Disposition: form-data; name=\"screenshots\"; filename=\"a \\\"b\\\".png\"\r\n"
         "Content-Type: image/png\r\n\r\n\x89PNG\r\n--not-a-boundary\r\n--" +
         b + "--\r\n";
}
}  // namespace

TEST(Multipart, FindsTheBoundary) {
  EXPECT_EQ(multipart::Boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart::Boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_FALSE(multipart::Boundary("application/json"));
  EXPECT_FALSE(multipart::Boundary("multipart/form-data"));
  EXPECT_FALSE(multipart::Boundary("multipart/form-data; boundary=" + std::string(80, 'x')));
}

TEST(Multipart, ParsesFieldsAndFiles) {
  auto body = Body("XyZ");
  auto parts = multipart::Parse(body, "XyZ", {});
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "subject");
  EXPECT_FALSE((*parts)[0].filename);
  EXPECT_EQ((*parts)[0].data, "Hello");
  EXPECT_EQ((*parts)[1].filename, "a \"b\".png");
  EXPECT_EQ((*parts)[1].content_type, "image/png");
  EXPECT_EQ((*parts)[1].data, "\x89PNG\r\n--not-a-boundary");
}

TEST(Multipart, RefusesBrokenBodies) {
  EXPECT_FALSE(multipart::Parse("", "b", {}));
  EXPECT_FALSE(multipart::Parse("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nunterminated", "b", {}));
  EXPECT_FALSE(multipart::Parse("--b\r\nX-Other: 1\r\n\r\ndata\r\n--b--", "b", {}));  // no disposition
  EXPECT_FALSE(multipart::Parse("--b\r\nContent-Disposition: form-data\r\n\r\ndata\r\n--b--", "b", {}));  // no name
}

TEST(Multipart, FileOverTheLimitIs413OnTheScreenshotsField) {
  multipart::Limits limits;
  limits.max_file_bytes = 4;
  auto body = Body("b");
  auto parts = multipart::Parse(body, "b", limits);
  ASSERT_FALSE(parts);
  EXPECT_EQ(parts.error().code, Code::kTooLarge);
  EXPECT_EQ(parts.error().field, "screenshots");
}

TEST(Multipart, TooManyPartsIsRefused) {
  std::string body;
  for (int i = 0; i < 40; ++i) body += "--b\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n";
  body += "--b--\r\n";
  EXPECT_FALSE(multipart::Parse(body, "b", {}));
}
