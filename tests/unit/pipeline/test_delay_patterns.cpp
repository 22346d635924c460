#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/delay_patterns.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::pipeline;

TEST_CASE("malformed delay patterns are refused with one line naming the pattern and the fault") {
    struct Case {
        const char* text;
        const char* fault;
    };
    for (auto c : {Case{"nodot", "1 dot-separated part"}, Case{"a.b.c.d", "4 dot-separated parts"},
                   Case{"db.", "a part is empty"}, Case{".t", "a part is empty"},
                   Case{"db..t", "a part is empty"}, Case{"db.\"open", "not closed"},
                   Case{"", "1 dot-separated part"}}) {
        INFO(c.text);
        CHECK_FALSE(parse_delay_pattern(c.text).has_value());
        std::string error = delay_pattern_error(c.text);
        CHECK(error.find(std::string("'") + c.text + "'") != std::string::npos);
        CHECK(error.find(c.fault) != std::string::npos);
        CHECK(error.find('\n') == std::string::npos);
    }
}

TEST_CASE("well-formed delay patterns have no error, dots in quotes included") {
    for (const char* text :
         {"db.t", "db.s.t*", "db.\"a.b\"", "\"d.b\".\"s.x\".\"t.y\"", "d.\"\"\"q\""}) {
        INFO(text);
        CHECK(parse_delay_pattern(text).has_value());
        CHECK(delay_pattern_error(text).empty());
    }
    auto p = parse_delay_pattern("d.\"\"\"q\"");
    REQUIRE(p);
    CHECK(p->table == "\"q");
    CHECK(p->table_exact);
}

TEST_CASE("a DelayPlan refuses a malformed pattern instead of dropping it") {
    try {
        DelayPlan plan({"db.t", "a.b.c.d"});
        FAIL("no error for a.b.c.d");
    } catch (const pgmigrate::Error& e) {
        CHECK(e.code() == pgmigrate::ExitCode::usage);
        CHECK(std::string(e.what()) == delay_pattern_error("a.b.c.d"));
    }
}

TEST_CASE("delay patterns: db.table, db.schema.table, globs, quoting and case") {
    auto p = parse_delay_pattern("sales.fact_*");
    REQUIRE(p);
    CHECK(p->database == "sales");
    CHECK(p->matches({"public", "fact_orders"}));
    CHECK_FALSE(p->matches({"other", "fact_orders"}));
    CHECK(p->matches({"public", "FACT_X"}));  // bare: case-insensitive

    auto q = parse_delay_pattern("sales.s1.events_202?");
    REQUIRE(q);
    CHECK(q->matches({"s1", "events_2024"}));
    CHECK_FALSE(q->matches({"public", "events_2024"}));

    auto exact = parse_delay_pattern("db.\"Big.Table\"");
    REQUIRE(exact);
    CHECK(exact->matches({"public", "Big.Table"}));
    CHECK_FALSE(exact->matches({"public", "big.table"}));

    auto quoted_db = parse_delay_pattern("\"My.\"\"DB\"\"\".t*");
    REQUIRE(quoted_db);
    CHECK(quoted_db->database == "My.\"DB\"");
    CHECK(quoted_db->matches({"public", "tx"}));

    CHECK_FALSE(parse_delay_pattern("nodot").has_value());
    CHECK_FALSE(parse_delay_pattern("db.").has_value());
    CHECK_FALSE(parse_delay_pattern("a.b.c.d").has_value());

    DelayPlan plan({"db1.big_*", "db1.nothing_here", "db2.s1.events", "ghost.t"});
    std::vector<TableKey> tables = {{"public", "big_a"}, {"public", "big_b"}, {"public", "small"}};
    CHECK(plan.delayed_tables("db1", tables).size() == 2);
    CHECK(plan.unmatched("db1", tables) == std::vector<std::string>{"db1.nothing_here"});
    CHECK(plan.database_has_patterns("db2"));
    CHECK_FALSE(plan.database_has_patterns("db3"));
    CHECK(plan.unknown_databases({"db1", "db2"}) == std::vector<std::string>{"ghost.t"});
}
