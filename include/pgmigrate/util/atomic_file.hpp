#pragma once
// Durable file writes: a temp file in the same directory, fsync, rename, fsync of the directory.
// A crash leaves either the old file or the new one, never half of one.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pgmigrate::util {

void write_file_atomic(const std::filesystem::path& path, std::string_view content);
// The whole file, or nullopt when it does not exist. Other I/O failures throw.
std::optional<std::string> read_file(const std::filesystem::path& path);

}  // namespace pgmigrate::util
