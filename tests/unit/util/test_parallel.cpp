// util::parallel_for: every item once, bounded width, the first error rethrown.
#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "pgmigrate/util/parallel.hpp"

using pgmigrate::util::parallel_for;

TEST_CASE("parallel_for runs every item once, at most width at a time") {
    std::vector<std::atomic<int>> seen(100);
    std::atomic<int> running{0}, peak{0};
    parallel_for(seen.size(), 3, [&](size_t i) {
        int now = ++running;
        int old = peak.load();
        while (now > old && !peak.compare_exchange_weak(old, now)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        ++seen[i];
        --running;
    });
    for (const auto& s : seen) CHECK(s == 1);
    CHECK(peak <= 3);
    CHECK(peak >= 1);
}

TEST_CASE("parallel_for stops taking items after an error and rethrows it") {
    std::atomic<int> done{0};
    CHECK_THROWS_WITH(parallel_for(1000, 2,
                                   [&](size_t i) {
                                       if (i == 5) throw std::runtime_error("item 5 failed");
                                       std::this_thread::sleep_for(std::chrono::milliseconds(1));
                                       ++done;
                                   }),
                      "item 5 failed");
    CHECK(done < 1000);
    parallel_for(0, 4, [](size_t) { FAIL("no items"); });
}
