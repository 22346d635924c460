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
