#include "pgmigrate/process/compression.hpp"

#include <fmt/format.h>

#include <charconv>

#include "pgmigrate/util/error.hpp"

namespace pgmigrate::process {

std::optional<CompressionSpec> parse_compression(const std::string& text) {
    auto colon = text.find(':');
    std::string method = text.substr(0, colon);
    if (method != "none" && method != "gzip" && method != "lz4" && method != "zstd")
        return std::nullopt;
    CompressionSpec spec{method, 0};
    if (method == "none") return colon == std::string::npos ? std::optional(spec) : std::nullopt;
    if (colon == std::string::npos) {
        spec.level = method == "gzip" ? 6 : method == "zstd" ? 3 : 1;
        return spec;
    }
    std::string level = text.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(level.data(), level.data() + level.size(), spec.level);
    if (ec != std::errc() || ptr != level.data() + level.size() || level.empty())
        return std::nullopt;
    int max = method == "gzip" ? 9 : method == "lz4" ? 12 : 22;
    int min = method == "zstd" ? -131072 : 1;
    if (spec.level < min || spec.level > max) return std::nullopt;
    return spec;
}

CompressionSpec default_compression(int pg_dump_major) {
    if (pg_dump_major >= 16) return {"zstd", 5};
    return {"none", 0};
}

std::string compression_argument(const CompressionSpec& spec, int pg_dump_major) {
    if (pg_dump_major >= 16) return spec.method == "none" ? "none" : to_string(spec);
    if (spec.method == "none") return "0";
    if (spec.method == "gzip") return std::to_string(spec.level);
    throw Error(ExitCode::usage,
                fmt::format("--compress {} needs pg_dump 16 or newer, but pg_dump is version {}; "
                            "use gzip:N or none, or point --pg-bin-dir at newer client tools",
                            to_string(spec), pg_dump_major));
}

std::string to_string(const CompressionSpec& spec) {
    if (spec.method == "none") return "none";
    return fmt::format("{}:{}", spec.method, spec.level);
}

}  // namespace pgmigrate::process
