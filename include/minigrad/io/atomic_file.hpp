// Atomic file writes: write a temporary file beside the target, fsync it, rename it over the
// target. A reader (or a crash) sees the old file or the complete new one, never half of one.
// Leaves out: Windows (POSIX open/fsync/rename only) and locking against concurrent writers.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace minigrad::io {

/// Replaces `path` with `bytes` atomically. On any error the temporary file is removed, `path`
/// is left as it was, and std::runtime_error names the file, the cause and a fix; `who`
/// ("save_safetensors") starts the message.
void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           const std::string& who);

}  // namespace minigrad::io
