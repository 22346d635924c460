#include <catch2/catch.hpp>

#include "pgmigrate/pg/sql_script.hpp"

using namespace pgmigrate::pg;

namespace {
std::vector<std::string> statements(std::string_view script) {
    std::vector<std::string> out;
    for (const auto& item : split_script(script))
        out.push_back((item.meta ? "META " : "") + item.text);
    return out;
}
using List = std::vector<std::string>;
}  // namespace

TEST_CASE("split_script respects quotes, dollar quotes, comments and meta-commands") {
    auto items = split_script(
        "\\restrict abc\n"
        "SET x = 'a;b';\n"
        "-- comment; with semicolon\n"
        "COMMENT ON ROLE \"r;1\" IS 'multi\nline; text';\n"
        "DO $body$ BEGIN PERFORM 1; END $body$;\n"
        "\\unrestrict abc\n");
    REQUIRE(items.size() == 5);
    CHECK(items[0].meta);
    CHECK(items[1].text == "SET x = 'a;b'");
    CHECK(items[2].text == "COMMENT ON ROLE \"r;1\" IS 'multi\nline; text'");
    CHECK(items[3].text == "DO $body$ BEGIN PERFORM 1; END $body$");
    CHECK(items[4].meta);
}

TEST_CASE("dollar quotes end only at their own tag") {
    CHECK(statements("SELECT $a$ x; $b$ y; $b$ $$ z; $$ $a$; SELECT 2") ==
          List{"SELECT $a$ x; $b$ y; $b$ $$ z; $$ $a$", "SELECT 2"});
    CHECK(statements("SELECT $_t1$;$_t1$;") == List{"SELECT $_t1$;$_t1$"});
    // $1 is a parameter and a$b$ an identifier, not the start of a dollar quote.
    CHECK(statements("SELECT $1; SELECT a$b$; SELECT 3") ==
          List{"SELECT $1", "SELECT a$b$", "SELECT 3"});
}

TEST_CASE("block comments nest as the server's do; line comments end at the newline") {
    CHECK(statements("SELECT /* a /* b; */ still; */ 1; SELECT 2") ==
          List{"SELECT  1", "SELECT 2"});
    CHECK(statements("SELECT 1 -- x; y\n+ 1; SELECT 2") == List{"SELECT 1 \n+ 1", "SELECT 2"});
    CHECK(statements("SELECT 1; /* never closed; SELECT 2") == List{"SELECT 1"});
}

TEST_CASE("E'' strings escape with backslashes; plain strings only double their quotes") {
    CHECK(statements("SELECT E'it\\'s; x'; SELECT 2") == List{"SELECT E'it\\'s; x'", "SELECT 2"});
    CHECK(statements("SELECT e'\\\\'; SELECT 2") == List{"SELECT e'\\\\'", "SELECT 2"});
    CHECK(statements("SELECT 'a\\'; SELECT 'b''c;'") == List{"SELECT 'a\\'", "SELECT 'b''c;'"});
    // A name ending in e before a quote is not an E prefix.
    CHECK(statements("SELECT some'\\'; SELECT 2") == List{"SELECT some'\\'", "SELECT 2"});
}

TEST_CASE("with standard_conforming_strings off, every string escapes with backslashes") {
    CHECK(statements("SET standard_conforming_strings = off;\nSELECT 'a\\'; b'; SELECT 2") ==
          List{"SET standard_conforming_strings = off", "SELECT 'a\\'; b'", "SELECT 2"});
    CHECK(statements("SET standard_conforming_strings TO 'off'; SELECT 'a\\';") ==
          List{"SET standard_conforming_strings TO 'off'", "SELECT 'a\\';"});
    CHECK(statements("SET standard_conforming_strings = on; SELECT 'a\\'; SELECT 2") ==
          List{"SET standard_conforming_strings = on", "SELECT 'a\\'", "SELECT 2"});
}

TEST_CASE("psql meta-commands stand on their own line, outside statements") {
    CHECK(statements("\\restrict k3y\nCREATE ROLE a;\n  \\connect -reuse-previous=on db\n"
                     "SELECT 1;\n\\unrestrict k3y") == List{"META \\restrict k3y", "CREATE ROLE a",
                                                            "META \\connect -reuse-previous=on db",
                                                            "SELECT 1", "META \\unrestrict k3y"});
    // A backslash inside a statement or a string is not one.
    CHECK(statements("SELECT 'x\n\\y';") == List{"SELECT 'x\n\\y'"});
}

TEST_CASE("a semicolon inside a quoted identifier does not end the statement") {
    CHECK(statements("CREATE ROLE \"a;b\"\"c;\"; ALTER ROLE \"a;b\"\"c;\" LOGIN") ==
          List{"CREATE ROLE \"a;b\"\"c;\"", "ALTER ROLE \"a;b\"\"c;\" LOGIN"});
    CHECK(statements(";;\n ; SELECT 1") == List{"SELECT 1"});
}
