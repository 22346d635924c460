#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/analyze.hpp"

using pgmigrate::pipeline::statistics_in_dump;

TEST_CASE("statistics travel in the dump only with 18+ tools into an 18+ target") {
    CHECK(statistics_in_dump(18, 18, true, false));
    CHECK(statistics_in_dump(19, 18, true, false));
    CHECK_FALSE(statistics_in_dump(17, 18, true, false));   // pg_dump 17 has no --statistics
    CHECK_FALSE(statistics_in_dump(18, 17, true, false));   // a 17 target cannot restore them
    CHECK_FALSE(statistics_in_dump(18, 18, false, false));  // --no-analyze: none at all
    // --fast-verify compares the target's reltuples: copied ones would prove nothing.
    CHECK_FALSE(statistics_in_dump(18, 18, true, true));
}
