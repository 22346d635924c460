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
