#include <catch2/catch.hpp>

#include "pgmigrate/pg/quote.hpp"

using namespace pgmigrate::pg;

TEST_CASE("SQL quoting") {
    CHECK(quote_ident("simple") == "\"simple\"");
    CHECK(quote_ident("My \"odd\" name") == "\"My \"\"odd\"\" name\"");
    CHECK(quote_literal("it's") == "'it''s'");
    CHECK(quote_literal("back\\slash") == "E'back\\\\slash'");
    CHECK(qualified_name("s 1", "T") == "\"s 1\".\"T\"");
    CHECK(conninfo_value("a b'c\\d") == "'a b\\'c\\\\d'");
}

TEST_CASE("read_identifier reads a quoted or a bare name and says where it ends") {
    size_t pos = 0;
    CHECK(read_identifier("\"a\"\"b\".x", pos) == "a\"b");
    CHECK(pos == 6);
    pos = 0;
    CHECK(read_identifier("\"Mixed Case\" WITH", pos) == "Mixed Case");
    CHECK(pos == 12);
    pos = 0;
    CHECK(read_identifier("App_User;", pos) == "app_user");
    CHECK(pos == 8);
    pos = 7;
    CHECK(read_identifier("public.s1", pos) == "s1");
    CHECK(pos == 9);
    pos = 0;
    CHECK(read_identifier("\"", pos) == std::nullopt);
    CHECK(read_identifier("\"unterminated.x", pos) == std::nullopt);
    CHECK(read_identifier("\"a\"\"", pos) == std::nullopt);
    CHECK(read_identifier(".x", pos) == std::nullopt);
    CHECK(read_identifier("", pos) == std::nullopt);
    CHECK(pos == 0);
}
