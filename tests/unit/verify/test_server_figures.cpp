// What is read of a server's tables for its figures.
#include <catch2/catch.hpp>

#include "pgmigrate/verify/server_figures.hpp"

using namespace pgmigrate::verify;

TEST_CASE("shapes_to_read keeps the source's columns where the server's match") {
    std::vector<TableShape> expected = {
        {{"public", "a"}, 10, {"x", "y"}, {ColumnKind::text, ColumnKind::float8}},
        {{"public", "b"}, 11, {"x"}, {ColumnKind::text}},
        {{"public", "c"}, 12, {"x"}, {ColumnKind::text}},
        {{"public", "d"},
         13,
         {"a", "b", "c"},
         {ColumnKind::text, ColumnKind::float8, ColumnKind::text}},
    };
    std::vector<TableShape> server = {
        {{"public", "a"}, 20, {"x", "y"}, {ColumnKind::text, ColumnKind::float8}},
        {{"public", "b"}, 21, {"x", "z"}, {ColumnKind::text, ColumnKind::text}},
        // An inheritance child after a restore: the inherited columns come first.
        {{"public", "d"},
         23,
         {"b", "c", "a"},
         {ColumnKind::float8, ColumnKind::text, ColumnKind::text}},
    };
    auto reads = shapes_to_read(expected, server);
    REQUIRE(reads.size() == 3);
    CHECK(reads[2].columns == expected[3].columns);
    CHECK(reads[2].kinds == expected[3].kinds);
    CHECK(reads[2].oid == 23);
    CHECK(copy_column_list(reads[2]) == "(\"a\", \"b\", \"c\")");
    CHECK(reads[0].columns == expected[0].columns);
    CHECK(reads[0].oid == 20);
    CHECK(reads[1].columns == server[1].columns);
    CHECK(copy_column_list(reads[1]) == "(\"x\", \"z\")");
    CHECK(copy_column_list(TableShape{}) == "");
}
