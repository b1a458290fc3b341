#pragma once
// Screenshot intake: decide the type by content, check the declared size from
// the header before decoding, decode whole (decoding is the validation), apply
// the EXIF orientation, drop all metadata, and make a thumbnail. Blocking and
// CPU-heavy: runs on the worker pool.
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace helpline::images {

struct Limits {
  long long max_pixels = 40'000'000;
  int max_side = 16384;
  int thumb_size = 320;
};

struct Processed {
  std::string content_type;  // image/png | image/jpeg
  std::string extension;     // png | jpg
  std::string data;          // cleaned image bytes
  int width = 0;             // after EXIF rotation
  int height = 0;
  std::string thumb_data;
  std::string thumb_content_type;
};

// Starts libvips and locks it down: only the PNG and JPEG loaders stay usable,
// no operation cache, one thread per operation (the worker pool is the parallelism).
void Init(const char* argv0);

// What the first bytes say: "png", "jpeg", or "" (anything else -> 415).
std::string_view Sniff(std::string_view bytes);

// 415 unsupported_media_type, 422 invalid_image or image_too_large, or the cleaned image.
Result<Processed> Process(std::string_view bytes, const Limits& limits = {});

}  // namespace helpline::images
