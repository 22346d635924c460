#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <semaphore>
#include <thread>

#include "../subprocess.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/error.hpp"

using pgmigrate::pipeline::SlotGuard;
using pgmigrate::testing::in_subprocess;

TEST_CASE("a SlotGuard holds one slot until it goes or releases it, once") {
    std::counting_semaphore<> slots(1);
    {
        SlotGuard guard(slots);
        CHECK_FALSE(slots.try_acquire());
        guard.release();
        guard.release();  // a second release gives nothing back twice
        CHECK(slots.try_acquire());
        CHECK_FALSE(slots.try_acquire());
        slots.release();
    }
    CHECK(slots.try_acquire());  // the released guard did not release again on destruction
    CHECK_FALSE(slots.try_acquire());
}

TEST_CASE("a SlotGuard waits for a slot that another thread frees") {
    std::counting_semaphore<> slots(0);
    std::thread freer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        slots.release();
    });
    auto start = std::chrono::steady_clock::now();
    {
        SlotGuard guard(slots);
        CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(250));
    }
    freer.join();
    CHECK(slots.try_acquire());
}

TEST_CASE("waiting for a slot ends with Cancelled when the run is cancelled") {
    int rc = in_subprocess([] {
        std::counting_semaphore<> slots(0);
        std::thread canceller([] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            pgmigrate::cancel::request(SIGTERM);
        });
        int result = 1;
        try {
            SlotGuard guard(slots);
        } catch (const pgmigrate::Cancelled&) {
            result = 0;
        }
        canceller.join();
        return result;
    });
    CHECK(rc == 0);
}
