#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/estimates.hpp"

using namespace pgmigrate::pipeline;

TEST_CASE("estimates: dump size by compression, duration over lanes, ETA at the measured rate") {
    using namespace std::chrono_literals;
    CHECK(eta(0, 100, 60s).count() == -1);
    CHECK(eta(50, 100, 5s).count() == -1);  // too early to say
    CHECK(eta(25, 100, 30s).count() == 90);
    CHECK(estimated_duration({}, 2).count() == 0);
    CHECK(estimated_duration({0, 0, 0, 0}, 2).count() == 2);
    CHECK(estimated_dump_bytes(1000, "none") == 700);
    CHECK(estimated_dump_bytes(1000, "zstd") == 250);
}
