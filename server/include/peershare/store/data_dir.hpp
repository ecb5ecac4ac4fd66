// The data directory: created if missing, and checked to be a directory the server can write to,
// so a bad --data-dir stops the start-up with a message naming it instead of failing later.
#pragma once

#include <filesystem>

namespace peershare {

// Creates `dir` (and its parents) when missing, then proves it writable by creating and removing a
// probe file in it. Throws store_error naming `dir` and the system's reason (not a directory,
// permission denied, read-only file system, no space left on device, ...).
void prepare_data_dir(const std::filesystem::path& dir);

}  // namespace peershare
