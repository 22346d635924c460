#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/database_filter.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::pipeline;

namespace {
bool match(const std::string& pattern, const std::string& name) {
    return DatabasePattern(pattern, "--exclude-database").matches(name);
}
}  // namespace

TEST_CASE("database patterns follow psql rules: unquoted folds to lower case, * and ? globs") {
    CHECK(match("app", "app"));
    CHECK(match("APP", "app"));  // folded
    CHECK_FALSE(match("APP", "APP"));
    CHECK_FALSE(match("app", "app2"));
    CHECK(match("app*", "app"));
    CHECK(match("app*", "app_2024"));
    CHECK(match("*_test", "billing_test"));
    CHECK_FALSE(match("*_test", "billing_test2"));
    CHECK(match("a?c", "abc"));
    CHECK_FALSE(match("a?c", "ac"));
    CHECK(match("*", "anything"));
    CHECK(match("a*b*c", "axxbyyc"));
    CHECK_FALSE(match("a*b*c", "axxbyy"));
    CHECK(match("[0-9]", "[0-9]"));  // no regular expressions: literal
    CHECK_FALSE(match("[0-9]", "5"));
}

TEST_CASE("double quotes keep case and make * and ? literal; \"\" is one quote") {
    CHECK(match("\"App\"", "App"));
    CHECK_FALSE(match("\"App\"", "app"));
    CHECK(match("\"a*\"", "a*"));
    CHECK_FALSE(match("\"a*\"", "ab"));
    CHECK(match("\"a?\"", "a?"));
    CHECK_FALSE(match("\"a?\"", "ab"));
    CHECK(match("\"My\"DB*", "Mydb_x"));  // quoted part exact, the rest folded and globbed
    CHECK_FALSE(match("\"My\"DB*", "MyDB_x"));
    CHECK(match("\"say \"\"hi\"\"\"", "say \"hi\""));
    CHECK(match("\"a.b\"", "a.b"));
}

TEST_CASE("malformed database patterns are usage errors naming the flag") {
    auto code_of = [](const std::string& text) {
        try {
            DatabasePattern p(text, "--include-database");
        } catch (const pgmigrate::Error& e) {
            CHECK(std::string(e.what()).find("--include-database") != std::string::npos);
            return e.code();
        }
        return pgmigrate::ExitCode::ok;
    };
    CHECK(code_of("\"open") == pgmigrate::ExitCode::usage);
    CHECK(code_of("a.b") == pgmigrate::ExitCode::usage);  // pg_dumpall: too many dotted names
    CHECK(code_of("") == pgmigrate::ExitCode::usage);
    CHECK(database_pattern_error("ok*", "--exclude-database") == std::nullopt);
    CHECK(database_pattern_error("x.y", "--exclude-database").has_value());
}

TEST_CASE("include and exclude are repeatable and exclude wins") {
    DatabaseFilter all;
    CHECK(all.rejection("anything") == std::nullopt);

    DatabaseFilter f({"app*", "billing"}, {"app_old*"});
    CHECK(f.rejection("app") == std::nullopt);
    CHECK(f.rejection("billing") == std::nullopt);
    CHECK(f.rejection("app_old_2019") ==
          std::optional<std::string>("excluded by --exclude-database 'app_old*'"));
    CHECK(f.rejection("crm") ==
          std::optional<std::string>("not matched by any --include-database"));

    DatabaseFilter both({"app"}, {"app"});
    CHECK(both.rejection("app").has_value());
}
