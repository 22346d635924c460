#include <catch2/catch.hpp>

#include "pgmigrate/util/text.hpp"

using namespace pgmigrate::util;

TEST_CASE("glob_match handles * and ?") {
    CHECK(glob_match("fact_*", "fact_sales"));
    CHECK(glob_match("fact_*", "fact_"));
    CHECK_FALSE(glob_match("fact_*", "dim_fact_x"));
    CHECK(glob_match("events_2024_??", "events_2024_01"));
    CHECK_FALSE(glob_match("events_2024_??", "events_2024_1"));
    CHECK(glob_match("*", ""));
    CHECK(glob_match("a*b*c", "aXXbYYc"));
    CHECK_FALSE(glob_match("a*b*c", "aXXbYY"));
    CHECK(glob_match("exact", "exact"));
    CHECK_FALSE(glob_match("exact", "exactly"));
}

TEST_CASE("encode_file_name is safe and collision-free") {
    CHECK(encode_file_name("sales") == "sales");
    CHECK(encode_file_name("my db") == "my%20db");
    CHECK(encode_file_name("a/b") == "a%2Fb");
    CHECK(encode_file_name("100%") == "100%25");
    CHECK(encode_file_name("..") == "%2E.");
    CHECK(encode_file_name("x.y") == "x.y");
    CHECK(encode_file_name("é") == "%C3%A9");
    CHECK(encode_file_name("line\nbreak") == "line%0Abreak");
    CHECK(encode_file_name("a b") != encode_file_name("a%20b"));
    CHECK(encode_file_name("") == "%00");
}

TEST_CASE("durations and sizes read well") {
    using std::chrono::milliseconds;
    CHECK(format_duration(milliseconds(850)) == "850ms");
    CHECK(format_duration(milliseconds(12345)) == "12.3s");
    CHECK(format_duration(milliseconds(245000)) == "4m05s");
    CHECK(format_duration(milliseconds(7380000)) == "2h03m");
    CHECK(format_bytes(512) == "512 B");
    CHECK(format_bytes(1536) == "1.5 KiB");
    CHECK(format_bytes(3ull << 30) == "3.0 GiB");
}

TEST_CASE("render_table pads columns, right-aligns numbers and counts UTF-8 as one cell") {
    std::string t = render_table({"name", "rows"}, {{"é", "5"}, {"long", "1000"}}, {1});
    CHECK(t == "name  rows\n----  ----\né        5\nlong  1000\n");
}
