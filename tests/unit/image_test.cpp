// Image intake: type by content, size from the header, whole decode, EXIF
// orientation, metadata removal. Makes its own inputs with libvips; the real
// files of ../shared/data are covered by the integration suite.
#include <gtest/gtest.h>
#include <vips/vips8>

#include "attachments/image.hpp"
#include "attachments/png_check.hpp"

using namespace helpline;
using vips::VImage;

namespace {
class Images : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { images::Init("unit_tests"); }

  static std::string Encode(const VImage& img, const char* suffix) {
    void* buf = nullptr;
    size_t len = 0;
    img.write_to_buffer(suffix, &buf, &len);
    std::string out(static_cast<char*>(buf), len);
    g_free(buf);
    return out;
  }
  static VImage Gradient(int w, int h) {
    return VImage::xyz(w, h).extract_band(0).cast(VIPS_FORMAT_UCHAR).bandjoin({VImage::black(w, h), VImage::black(w, h)})
        .copy(VImage::option()->set("interpretation", VIPS_INTERPRETATION_sRGB));
  }
};
}  // namespace

TEST_F(Images, SniffsByContentNotName) {
  EXPECT_EQ(images::Sniff("\x89PNG\r\n\x1a\n...."), "png");
  EXPECT_EQ(images::Sniff("\xFF\xD8\xFF\xE0"), "jpeg");
  EXPECT_EQ(images::Sniff("GIF89a"), "");
  EXPECT_EQ(images::Sniff("hello, I am text"), "");
  EXPECT_EQ(images::Sniff(""), "");
}

TEST_F(Images, AcceptsPngAndJpeg) {
  auto png = images::Process(Encode(Gradient(400, 300), ".png"));
  ASSERT_TRUE(png) << png.error().message;
  EXPECT_EQ(png->content_type, "image/png");
  EXPECT_EQ(png->width, 400);
  EXPECT_EQ(png->height, 300);
  auto thumb = VImage::new_from_buffer(png->thumb_data.data(), png->thumb_data.size(), "");
  EXPECT_EQ(thumb.width(), 320);
  EXPECT_EQ(thumb.height(), 240);

  auto jpg = images::Process(Encode(Gradient(64, 48), ".jpg"));
  ASSERT_TRUE(jpg) << jpg.error().message;
  EXPECT_EQ(jpg->content_type, "image/jpeg");
}

TEST_F(Images, TextAndGifAre415) {
  auto r = images::Process("just some text pretending to be an image");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupportedMedia);
  r = images::Process(Encode(Gradient(10, 10), ".gif"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnsupportedMedia);
}

TEST_F(Images, TruncatedFilesAre422) {
  auto png = Encode(Gradient(300, 300), ".png");
  auto r = images::Process(png.substr(0, png.size() / 2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidImage);
  auto jpg = Encode(Gradient(300, 300), ".jpg");
  r = images::Process(jpg.substr(0, jpg.size() / 2));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidImage);
}

TEST_F(Images, HugeDeclaredSizeIsRefusedFromTheHeader) {
  images::Limits small;
  small.max_pixels = 100 * 100;
  auto r = images::Process(Encode(Gradient(200, 100), ".png"), small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kImageTooLarge);
  small = {};
  small.max_side = 150;
  r = images::Process(Encode(Gradient(151, 10), ".png"), small);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kImageTooLarge);
}

TEST_F(Images, AppliesExifOrientationThenStripsMetadata) {
  auto img = Gradient(60, 40).copy();
  img.set("orientation", 6);  // rotate 90 CW on display
  img.set("exif-ifd0-Make", "SecretCam (Make, ASCII, 10 components, 10 bytes)");
  void* buf = nullptr;
  size_t len = 0;
  img.write_to_buffer(".jpg", &buf, &len);
  std::string jpg(static_cast<char*>(buf), len);
  g_free(buf);
  ASSERT_NE(jpg.find("Exif"), std::string::npos);

  auto r = images::Process(jpg);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->width, 40);   // upright: the sides swapped
  EXPECT_EQ(r->height, 60);
  EXPECT_EQ(r->data.find("Exif"), std::string::npos);
  EXPECT_EQ(r->data.find("SecretCam"), std::string::npos);
}

TEST_F(Images, PngStructureCheckCatchesBadChecksums) {
  auto png = Encode(Gradient(50, 50), ".png");
  EXPECT_TRUE(images::PngStructureOk(png));
  // Flip one byte inside the image data: a CRC or Adler-32 no longer matches.
  auto idat = png.find("IDAT");
  ASSERT_NE(idat, std::string::npos);
  auto broken = png;
  broken[idat + 10] ^= 0x55;
  EXPECT_FALSE(images::PngStructureOk(broken));
  EXPECT_FALSE(images::PngStructureOk(png.substr(0, png.size() - 5)));
  // A chunk that declares more bytes than the file has.
  auto huge = png;
  huge[idat - 4] = 0x7F;
  EXPECT_FALSE(images::PngStructureOk(huge));
}
