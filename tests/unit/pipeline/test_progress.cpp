#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/progress.hpp"

using namespace pgmigrate::pipeline;

TEST_CASE("progress counts bytes done as half dump, half restore, and closes its steps") {
    ProgressBoard board;
    SourceDatabase a;
    a.name = "a";
    a.size_bytes = 1000;
    SourceDatabase skipped;
    skipped.name = "template0";
    skipped.size_bytes = 5;
    skipped.skip_reason = "never";
    board.add(a, {}, 500);
    board.add(skipped);
    board.enter("a", Phase::dumping);
    CHECK(board.snapshot()[0].bytes_done() == 0);
    board.enter("a", Phase::source_counts);  // dump finished
    CHECK(board.snapshot()[0].bytes_done() == 500);
    board.enter("a", Phase::restoring);
    board.record_target_sizes({{"a", 500}});
    CHECK(board.snapshot()[0].bytes_done() == 750);
    board.enter("a", Phase::complete);
    CHECK(board.snapshot()[0].bytes_done() == 1000);
    auto steps = board.snapshot()[0].steps;
    REQUIRE(steps.size() == 3);
    CHECK(steps[0].phase == Phase::dumping);
    CHECK(steps[2].ended.has_value());
    CHECK(board.status_line().find("1/1 databases finished, 1000 B of 1000 B done") !=
          std::string::npos);
    CHECK(render_summary(board.snapshot()).find("never") != std::string::npos);
}

TEST_CASE("the summary table lists every database with phase, rows and status") {
    DatabaseProgress a;
    a.name = "alpha";
    a.size_bytes = 2048;
    a.phase = Phase::complete;
    a.rows_verified = 1234;
    a.dump_time = std::chrono::milliseconds(1500);
    DatabaseProgress b;
    b.name = "beta";
    b.phase = Phase::failed;
    b.last_active = Phase::restoring;
    std::string s = render_summary({a, b});
    CHECK(s.find("alpha") != std::string::npos);
    CHECK(s.find("1234") != std::string::npos);
    CHECK(s.find("1.5s") != std::string::npos);
    CHECK(s.find("restoring") != std::string::npos);
    CHECK(s.find("FAILED") != std::string::npos);
}
