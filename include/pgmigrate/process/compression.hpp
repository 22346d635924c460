#pragma once
// pg_dump's -Z argument. pg_dump 16 added method:level specs (gzip, lz4, zstd); 15 and older
// take only a gzip level 0..9.
#include <optional>
#include <string>

namespace pgmigrate::process {

struct CompressionSpec {
    std::string method;  // "none", "gzip", "lz4", "zstd"
    int level = 0;
    bool operator==(const CompressionSpec&) const = default;
};

// Parses the --compress flag: none | gzip[:N] | lz4[:N] | zstd[:N]. nullopt when malformed.
std::optional<CompressionSpec> parse_compression(const std::string& text);

// The default for a pg_dump major: zstd:5 from 16, none before (gzip costs too much CPU).
CompressionSpec default_compression(int pg_dump_major);

// The -Z value for this pg_dump; throws pgmigrate::Error (usage) when it cannot do that spec.
std::string compression_argument(const CompressionSpec& spec, int pg_dump_major);

std::string to_string(const CompressionSpec& spec);

}  // namespace pgmigrate::process
