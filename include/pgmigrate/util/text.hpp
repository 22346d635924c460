#pragma once
// Small text helpers with no PostgreSQL knowledge.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgmigrate::util {

// Shell-style glob: '*' matches any run of characters, '?' exactly one. No character classes.
bool glob_match(std::string_view pattern, std::string_view text);

// A file-name-safe form of an arbitrary name: [A-Za-z0-9_-] and inner '.' kept, everything else
// (including '%', '/', spaces, newlines, non-ASCII bytes) as %XX. Reversible and collision-free.
std::string encode_file_name(std::string_view name);

// "850ms", "12.3s", "4m05s", "2h03m".
std::string format_duration(std::chrono::milliseconds d);
// "512 B", "1.5 MiB", "3.2 GiB".
std::string format_bytes(std::uint64_t bytes);

std::vector<std::string> split_lines(std::string_view text);
std::string trim(std::string_view text);
std::string to_lower(std::string_view text);

// A plain-text table: header row, separator, rows; columns padded to the widest cell (UTF-8
// aware for width). Right-aligns columns whose index is in right_aligned.
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<size_t>& right_aligned = {});

}  // namespace pgmigrate::util
