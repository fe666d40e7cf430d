// Output files that are whole or absent: the path is checked before any work is done, then the
// bytes go to a temporary file beside the target (".<name>.tmp.<pid>.<n>"), which is fsynced and
// renamed over it, and the directory is fsynced. A reader, or a crash, sees the old file or the
// complete new one. Leaves out: Windows, and locking (of two concurrent writers the last wins).
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace minigrad::io {

/// Throws std::invalid_argument unless a file can be written at `path`: its directory exists
/// and accepts a new file (tried by creating and removing one), and `path` is absent, a regular
/// file, or a symlink to a regular file. Device nodes (/dev/null, /dev/full), directories, pipes
/// and sockets are refused. `who` ("--save") starts the message. Call it before long work.
void check_output_path(const std::string& path, const std::string& who);

/// Replaces `path` with `bytes` atomically, after check_output_path(); through a symlink, the
/// file it points to is replaced. Temporary files left by killed writers of the same path are
/// removed first (only names of the temporary pattern whose process is gone). On any error the
/// temporary file is removed, `path` is left as it was, and std::runtime_error names the file,
/// the cause and a fix.
void write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           const std::string& who);

/// The temporary file name write_file_atomically uses for `path` in process `pid`, attempt `n`:
/// "dir/.name.tmp.<pid>.<n>".
std::string temporary_path(const std::string& path, long pid, unsigned n);

/// Removes temporary files of `path` left by processes that are no longer running; returns how
/// many it removed. Files of live processes, and names that do not match exactly, are kept.
int remove_stale_temporaries(const std::string& path);

}  // namespace minigrad::io
