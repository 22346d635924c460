#include <catch2/catch.hpp>

#include "pgmigrate/util/log.hpp"

using namespace pgmigrate::util;

TEST_CASE("RUST_LOG levels parse like the original documents") {
    CHECK(parse_log_level("debug") == spdlog::level::debug);
    CHECK(parse_log_level("WARN") == spdlog::level::warn);
    CHECK(parse_log_level("pg_migrate=trace") == spdlog::level::trace);
    CHECK(parse_log_level("info,pg_migrate=error") == spdlog::level::err);
    CHECK_FALSE(parse_log_level("loud").has_value());
}
