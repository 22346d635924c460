#include <catch2/catch.hpp>

#include "pgmigrate/process/compression.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::process;

TEST_CASE("compression is chosen by pg_dump version") {
    CHECK(to_string(default_compression(15)) == "none");
    CHECK(to_string(default_compression(16)) == "zstd:5");
    CHECK(compression_argument(default_compression(15), 15) == "0");
    CHECK(compression_argument(default_compression(17), 17) == "zstd:5");
    CHECK(compression_argument(*parse_compression("gzip:4"), 15) == "4");
    CHECK(compression_argument(*parse_compression("gzip:4"), 16) == "gzip:4");
    CHECK(compression_argument(*parse_compression("none"), 16) == "none");
    CHECK_THROWS_AS(compression_argument(*parse_compression("zstd:3"), 15), pgmigrate::Error);
    CHECK_THROWS_AS(compression_argument(*parse_compression("lz4:1"), 14), pgmigrate::Error);
}

TEST_CASE("--compress values are validated") {
    CHECK(parse_compression("zstd:19") == CompressionSpec{"zstd", 19});
    CHECK(parse_compression("gzip") == CompressionSpec{"gzip", 6});
    CHECK_FALSE(parse_compression("gzip:10").has_value());
    CHECK_FALSE(parse_compression("brotli:3").has_value());
    CHECK_FALSE(parse_compression("zstd:x").has_value());
    CHECK_FALSE(parse_compression("none:1").has_value());
}
