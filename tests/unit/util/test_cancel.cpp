#include <signal.h>

#include <catch2/catch.hpp>
#include <thread>

#include "../subprocess.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/error.hpp"

namespace cancel = pgmigrate::cancel;
using pgmigrate::testing::in_subprocess;

TEST_CASE("no cancellation until one is requested") {
    CHECK_FALSE(cancel::requested());
    CHECK(cancel::signal_number() == 0);
    CHECK_NOTHROW(cancel::throw_if_requested());
}

TEST_CASE("a request is seen everywhere, and the first signal is the one kept") {
    int rc = in_subprocess([] {
        cancel::request(SIGINT);
        cancel::request(SIGTERM);
        if (!cancel::requested() || cancel::signal_number() != SIGINT) return 1;
        bool seen_by_other_thread = false;
        std::thread([&] { seen_by_other_thread = cancel::requested(); }).join();
        if (!seen_by_other_thread) return 2;
        try {
            cancel::throw_if_requested();
        } catch (const pgmigrate::Cancelled&) {
            return 0;
        }
        return 3;
    });
    CHECK(rc == 0);
}

TEST_CASE("a Shield hides cancellation on its own thread only, and nests") {
    int rc = in_subprocess([] {
        cancel::request(SIGTERM);
        {
            cancel::Shield outer;
            if (cancel::requested()) return 1;
            {
                cancel::Shield inner;
                if (cancel::requested()) return 2;
            }
            if (cancel::requested()) return 3;  // still under outer
            bool other_thread_sees = false;
            std::thread([&] { other_thread_sees = cancel::requested(); }).join();
            if (!other_thread_sees) return 4;
            cancel::throw_if_requested();  // no throw under the Shield (a throw returns 99)
        }
        if (!cancel::requested()) return 5;
        return cancel::signal_number() == SIGTERM ? 0 : 6;
    });
    CHECK(rc == 0);
}
