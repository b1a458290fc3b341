#include "attachments/png_check.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstring>

namespace helpline::images {

namespace {
std::uint32_t Be32(const unsigned char* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}
}  // namespace

bool PngStructureOk(std::string_view png) {
  static const unsigned char kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  const auto* data = reinterpret_cast<const unsigned char*>(png.data());
  const std::size_t size = png.size();
  if (size < 8 || std::memcmp(data, kSignature, 8) != 0) return false;

  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return false;
  struct Guard {
    z_stream* z;
    ~Guard() { inflateEnd(z); }
  } guard{&zs};
  unsigned char sink[64 * 1024];
  bool stream_ended = false, seen_idat = false, idat_done = false, first = true;

  std::size_t pos = 8;
  while (true) {
    if (size - pos < 12) return false;  // truncated: no room for a chunk
    std::uint32_t len = Be32(data + pos);
    if (len > 0x7FFFFFFFu || len > size - pos - 12) return false;  // declared length past the end
    const unsigned char* type = data + pos + 4;
    const unsigned char* body = data + pos + 8;
    std::uint32_t crc = static_cast<std::uint32_t>(crc32(0, type, 4 + len));
    if (crc != Be32(body + len)) return false;
    bool is_ihdr = std::memcmp(type, "IHDR", 4) == 0;
    if (first != is_ihdr) return false;  // IHDR comes first and only first
    first = false;

    if (std::memcmp(type, "IDAT", 4) == 0) {
      if (idat_done) return false;  // IDAT chunks must be consecutive
      seen_idat = true;
      zs.next_in = const_cast<unsigned char*>(body);
      zs.avail_in = len;
      while (zs.avail_in > 0 && !stream_ended) {
        zs.next_out = sink;
        zs.avail_out = sizeof sink;
        int rc = inflate(&zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) stream_ended = true;
        else if (rc != Z_OK && rc != Z_BUF_ERROR) return false;  // a corrupt stream or a wrong Adler-32
        else if (rc == Z_BUF_ERROR && zs.avail_in > 0 && zs.avail_out > 0) return false;
      }
      if (stream_ended && zs.avail_in > 0) return false;  // bytes after the end of the stream
    } else if (seen_idat) {
      idat_done = true;
    }
    pos += 12 + len;
    if (std::memcmp(type, "IEND", 4) == 0) return seen_idat && stream_ended;
  }
}

}  // namespace helpline::images
