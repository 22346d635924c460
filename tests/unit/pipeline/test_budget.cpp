// The connection budget: formula, and fitting it to servers' free connections.
#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/budget.hpp"

using namespace pgmigrate;
using namespace pgmigrate::pipeline;

namespace {
ServerLimits limits(int max, int reserved, int in_use) {
    return ServerLimits{max, reserved, in_use};
}
}  // namespace

TEST_CASE("budget formula follows the flags") {
    Config c;  // defaults: 6 x 24 dump jobs, 6 x 12 restore jobs, 16 verify
    Budget b = budget_for(c);
    CHECK(b.source_peak() == 6 * 26 + 18);
    CHECK(b.target_peak() == 6 * 13 + 18);
    CHECK(b.source_formula() == "6 x (24 + 2) + (16 + 2) = 174");
    CHECK(b.target_formula() == "6 x (12 + 1) + (16 + 2) = 96");
}

TEST_CASE("a budget that fits is left alone") {
    std::vector<std::string> notes;
    Budget b = fit_budget(budget_for(Config{}), limits(500, 3, 10), limits(500, 3, 0), notes);
    CHECK(notes.empty());
    CHECK(b.dump_jobs == 24);
    CHECK(b.restore_parallel == 6);
}

TEST_CASE("default flags against max_connections = 100 lower the dump jobs to fit") {
    std::vector<std::string> notes;
    auto src = limits(100, 3, 1), dst = limits(100, 3, 1);
    Budget b = fit_budget(budget_for(Config{}), src, dst, notes);
    CHECK(b.source_peak() <= src.available());
    CHECK(b.target_peak() <= dst.available());
    CHECK(b.dump_parallel == 6);
    CHECK(b.dump_jobs == 11);  // 6 x 13 + 18 = 96
    REQUIRE(!notes.empty());
    CHECK(notes.front().find("--dump-jobs 24 -> 11") != std::string::npos);
}

TEST_CASE("a tiny server lowers parallel databases and verify concurrency") {
    std::vector<std::string> notes;
    auto small = limits(20, 3, 2);  // 15 free
    Budget b = fit_budget(budget_for(Config{}), small, small, notes);
    CHECK(b.source_peak() <= 15);
    CHECK(b.target_peak() <= 15);
    CHECK(b.verify_concurrency < 16);
    CHECK(b.dump_parallel >= 1);
    CHECK(notes.size() >= 3);
}

TEST_CASE("a server with no room is refused with the numbers") {
    std::vector<std::string> notes;
    try {
        fit_budget(budget_for(Config{}), limits(6, 3, 1), limits(100, 3, 0), notes);
        FAIL("expected a refusal");
    } catch (const Error& e) {
        CHECK(e.code() == ExitCode::source);
        std::string msg = e.what();
        CHECK(msg.find("max_connections 6 - reserved 3 - in use 1 = 2") != std::string::npos);
        CHECK(msg.find("source") != std::string::npos);
    }
}
