#include "attachments/image.hpp"

#include "attachments/png_check.hpp"

#include <vips/vips8>

#include <stdexcept>

namespace helpline::images {

using vips::VImage;

void Init(const char* argv0) {
  if (VIPS_INIT(argv0 ? argv0 : "helpline")) throw std::runtime_error("libvips failed to start");
  // Strangers' files reach this code: block every loader, then allow the two we accept.
  vips_block_untrusted_set(TRUE);
  vips_operation_block_set("VipsForeignLoad", TRUE);
  vips_operation_block_set("VipsForeignLoadPngBuffer", FALSE);
  vips_operation_block_set("VipsForeignLoadJpegBuffer", FALSE);
  vips_cache_set_max(0);
  vips_concurrency_set(1);
}

std::string_view Sniff(std::string_view b) {
  // A PNG whose signature was mangled (CR/LF conversion) still starts "\x89PNG":
  // it is a PNG that fails to decode (422), not another type (415).
  if (b.size() >= 4 && b.substr(0, 4) == "\x89PNG") return "png";
  if (b.size() >= 3 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8 &&
      static_cast<unsigned char>(b[2]) == 0xFF)
    return "jpeg";
  return "";
}

namespace {

Error Invalid(std::string_view why) {
  return Error{Code::kInvalidImage, "The screenshot could not be read as a whole image (" + std::string(why) + ").",
               "screenshots", 0};
}

std::string SaveBuffer(const VImage& img, bool png, bool thumb) {
  // Level 3 re-encodes a large screenshot about 3x faster than 6 for ~10% more bytes.
  VipsBlob* blob = png ? img.pngsave_buffer(VImage::option()->set("strip", true)->set("compression", thumb ? 6 : 3))
                       : img.jpegsave_buffer(VImage::option()->set("strip", true)->set("Q", thumb ? 80 : 90));
  std::size_t len = 0;
  const void* data = vips_blob_get(blob, &len);
  std::string out(static_cast<const char*>(data), len);
  vips_area_unref(VIPS_AREA(blob));
  return out;
}

}  // namespace

Result<Processed> Process(std::string_view bytes, const Limits& limits) {
  auto kind = Sniff(bytes);
  if (kind.empty())
    return Fail(Code::kUnsupportedMedia, "Screenshots must be PNG or JPEG images.", "screenshots");
  const bool png = kind == "png";

  const char* loader = vips_foreign_find_load_buffer(bytes.data(), bytes.size());
  if (!loader) {
    vips_error_clear();
    return Unexpected(Invalid("unrecognised data"));
  }
  std::string_view loader_name(loader);
  if (loader_name != (png ? "VipsForeignLoadPngBuffer" : "VipsForeignLoadJpegBuffer")) return Unexpected(Invalid("wrong loader"));

  // libspng skips some checks (the zlib Adler-32 among them): refuse what it would let through.
  if (png && !PngStructureOk(bytes)) return Unexpected(Invalid("corrupt PNG structure"));

  try {
    // Header only: vips decodes lazily, so the size check below costs nothing.
    auto img = VImage::new_from_buffer(bytes.data(), bytes.size(), "",
                                       VImage::option()->set("fail_on", VIPS_FAIL_ON_TRUNCATED));
    long long w = img.width(), h = img.height();
    if (w > limits.max_side || h > limits.max_side || w * h > limits.max_pixels) {
      return Fail(Code::kImageTooLarge,
                  "The screenshot is too large (" + std::to_string(w) + "x" + std::to_string(h) +
                      "); at most 40 megapixels and 16384 pixels a side.",
                  "screenshots");
    }
    // Bake the EXIF orientation into the pixels before strip removes the tag.
    img = img.autorot();
    // 8 bits per sample in sRGB (or grey): a 16-bit screenshot gains nothing from its
    // extra bits and would double the memory of the decode below.
    if (img.format() != VIPS_FORMAT_UCHAR || (img.interpretation() != VIPS_INTERPRETATION_sRGB &&
                                              img.interpretation() != VIPS_INTERPRETATION_B_W)) {
      img = img.colourspace(VIPS_INTERPRETATION_sRGB);
      if (img.format() != VIPS_FORMAT_UCHAR) img = img.cast(VIPS_FORMAT_UCHAR);
    }
    // Decode everything now: a truncated or corrupt file fails here, before anything is kept.
    img = img.copy_memory();

    Processed out;
    out.content_type = png ? "image/png" : "image/jpeg";
    out.extension = png ? "png" : "jpg";
    out.width = img.width();
    out.height = img.height();
    out.data = SaveBuffer(img, png, false);
    auto thumb = img.thumbnail_image(limits.thumb_size,
                                     VImage::option()->set("height", limits.thumb_size)->set("size", VIPS_SIZE_DOWN));
    out.thumb_data = SaveBuffer(thumb, png, true);
    out.thumb_content_type = out.content_type;
    return out;
  } catch (const vips::VError& e) {
    vips_error_clear();
    return Unexpected(Invalid("corrupt or truncated"));
  }
}

}  // namespace helpline::images
