#include <catch2/catch.hpp>

#include "pgmigrate/process/pg_tools.hpp"

using namespace pgmigrate::process;

TEST_CASE("tool versions parse") {
    auto v = parse_tool_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n");
    REQUIRE(v);
    CHECK(v->major == 15);
    CHECK(v->text == "15.18");
    CHECK(parse_tool_version("pg_dump (PostgreSQL) 18beta1")->major == 18);
    CHECK(parse_tool_version("pg_dump (PostgreSQL) 9.6.24")->major == 9);
    CHECK_FALSE(parse_tool_version("not a version").has_value());
}
