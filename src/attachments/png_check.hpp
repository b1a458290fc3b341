#pragma once
// A structural check of a PNG that libvips' decoder (libspng) is lenient about:
// every chunk's CRC, IHDR first, IEND last, and an image-data zlib stream that
// inflates to its end with a correct Adler-32. Streams through a fixed buffer,
// so a chunk that declares a huge length or inflates hugely costs no memory.
#include <string_view>

namespace helpline::images {

// True when the PNG is well formed; false for truncation, bad CRCs, a broken
// zlib stream (e.g. a wrong Adler-32), or data after the end of the stream.
bool PngStructureOk(std::string_view png);

}  // namespace helpline::images
