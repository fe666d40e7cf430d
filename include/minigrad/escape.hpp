// Bytes from an untrusted file, made safe to print inside an error message: control bytes and
// invalid UTF-8 become visible escapes (a NUL no longer cuts the message short, an ESC no longer
// drives the terminal) and long text is shortened. Leaves out: quoting rules of any one
// language; the result is for people, not for parsing back.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace minigrad {

/// `bytes` with \n, \r, \t, \\ and \xHH for every other control byte, DEL and byte that is not
/// part of valid UTF-8; printable ASCII and valid UTF-8 stay as they are. Text longer than
/// `max_bytes` input bytes is cut there and ends in "... (N bytes)".
std::string escape_bytes(std::string_view bytes, size_t max_bytes = 80);

/// The index of the first byte of `bytes` that is not part of valid UTF-8 (ASCII included), or
/// std::string_view::npos if they are all valid.
size_t first_invalid_utf8(std::string_view bytes);

}  // namespace minigrad
