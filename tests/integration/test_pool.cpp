// pg::Pool against a real server: the cap holds under concurrency (in the pool's own count and
// in the server's pg_stat_activity), a full cap closes an idle connection to another database
// instead of waiting, a waiting acquire ends with Cancelled, connections are keyed by the
// endpoint's value, not by the object it was acquired with, and an adopted connection is reused
// and counted.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "../unit/subprocess.hpp"
#include "pg_server.hpp"
#include "pgmigrate/pg/pool.hpp"
#include "pgmigrate/util/cancel.hpp"

using namespace pgtest;
using pgmigrate::pg::Endpoint;
using pgmigrate::pg::Pool;
using pgmigrate::pg::Side;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Sessions of pg-migrate's connections (application_name pg-migrate) to database db, as the
// server counts them.
int server_sessions(pgmigrate::pg::Connection& observer, const std::string& db) {
    return static_cast<int>(
        observer
            .query("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND "
                   "application_name = 'pg-migrate' AND pid <> pg_backend_pid()",
                   {db})
            .get_int(0, 0));
}

// Waits up to 10 s for the server to count `want` sessions to db (a closed connection's backend
// leaves pg_stat_activity a moment after the client closed it). The last count seen.
int settle_sessions(pgmigrate::pg::Connection& observer, const std::string& db, int want) {
    int n = server_sessions(observer, db);
    for (auto until = Clock::now() + std::chrono::seconds(10); n != want && Clock::now() < until;
         n = server_sessions(observer, db))
        std::this_thread::sleep_for(milliseconds(20));
    return n;
}

std::string backend_pid(pgmigrate::pg::PooledConnection& conn) {
    return conn->query("SELECT pg_backend_pid()").get(0, 0);
}

}  // namespace

TEST_CASE("six threads share a cap of two: neither the pool nor the server ever sees three") {
    PgServer server({.name = "pool-cap"});
    server.exec("CREATE DATABASE pool_a");
    Pool pool;
    pool.set_limit(Side::source, 2);
    constexpr int kThreads = 6, kRounds = 15;

    std::atomic<bool> stop_sampling{false};
    std::atomic<int> pool_peak{0}, server_peak{0}, finished{0}, failures{0};
    std::thread pool_sampler([&] {
        while (!stop_sampling) {
            int n = pool.open_count(Side::source);
            if (n > pool_peak) pool_peak = n;
            std::this_thread::sleep_for(milliseconds(1));
        }
    });
    auto observer = server.connect("postgres");
    std::thread server_sampler([&] {
        while (!stop_sampling) {
            int n = server_sessions(observer, "pool_a");
            if (n > server_peak) server_peak = n;
            std::this_thread::sleep_for(milliseconds(2));
        }
    });

    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t)
        workers.emplace_back([&, t] {
            try {
                for (int i = 0; i < kRounds; ++i) {
                    auto conn = pool.acquire(server.endpoint(), "pool_a");
                    // Held across a query that takes a while, so the other threads must wait.
                    auto r = conn->query("SELECT $1::int FROM pg_sleep(0.01)",
                                         {std::to_string(t * 100 + i)});
                    if (r.get_int(0, 0) != t * 100 + i) ++failures;
                }
            } catch (const std::exception&) {
                ++failures;
            }
            ++finished;
        });
    for (auto until = Clock::now() + std::chrono::seconds(120);
         finished < kThreads && Clock::now() < until;)
        std::this_thread::sleep_for(milliseconds(20));
    bool all_finished = finished == kThreads;
    for (auto& w : workers) all_finished ? w.join() : w.detach();
    stop_sampling = true;
    pool_sampler.join();
    server_sampler.join();

    REQUIRE(all_finished);
    CHECK(failures == 0);
    CHECK(pool_peak <= 2);
    CHECK(server_peak <= 2);
    // The cap was reached (the test did contend), and nothing is left in use.
    CHECK(pool_peak == 2);
    CHECK(server_peak == 2);
    CHECK(pool.open_count(Side::source) == 2);
    CHECK(pool.idle_count() == 2);
}

TEST_CASE("a full cap closes an idle connection to another database instead of waiting") {
    PgServer server({.name = "pool-evict"});
    for (const char* db : {"ev_a", "ev_b", "ev_c"})
        server.exec(std::string("CREATE DATABASE ") + db);
    auto observer = server.connect("postgres");
    Pool pool;
    pool.set_limit(Side::source, 2);
    { auto a = pool.acquire(server.endpoint(), "ev_a"); }
    std::this_thread::sleep_for(milliseconds(20));  // ev_a is the longer idle one
    { auto b = pool.acquire(server.endpoint(), "ev_b"); }
    REQUIRE(pool.idle_count() == 2);
    REQUIRE(pool.open_count(Side::source) == 2);

    // Should the pool wait instead, nothing would ever wake it: after 5 s this empties it.
    std::atomic<bool> acquired{false}, rescued{false};
    std::thread rescuer([&] {
        for (auto until = Clock::now() + std::chrono::seconds(5);
             !acquired && Clock::now() < until;)
            std::this_thread::sleep_for(milliseconds(10));
        if (!acquired) {
            rescued = true;
            pool.clear();
        }
    });
    auto start = Clock::now();
    {
        auto c = pool.acquire(server.endpoint(), "ev_c");
        acquired = true;
        CHECK(Clock::now() - start < std::chrono::seconds(3));
        CHECK_FALSE(rescued);
        CHECK(c->query("SELECT current_database()").get(0, 0) == "ev_c");
        CHECK(pool.open_count(Side::source) == 2);
        CHECK(pool.idle_count() == 1);
        // The longest idle (ev_a) went, on the server too; ev_b's stays.
        CHECK(settle_sessions(observer, "ev_a", 0) == 0);
        CHECK(server_sessions(observer, "ev_b") == 1);
        CHECK(server_sessions(observer, "ev_c") == 1);
    }
    rescuer.join();
}

TEST_CASE("an acquire waiting for a full cap ends with Cancelled soon after cancellation") {
    PgServer server({.name = "pool-cancel"});
    // cancel::request cannot be undone: the pool that is cancelled lives in a forked copy.
    int rc = pgmigrate::testing::in_subprocess([&] {
        ::alarm(20);  // an acquire that never gives up ends the copy (SIGALRM), not the test
        Pool pool;
        pool.set_limit(Side::source, 1);
        auto held = pool.acquire(server.endpoint(), "postgres");
        Clock::time_point requested_at;
        std::thread canceller([&] {
            std::this_thread::sleep_for(milliseconds(500));
            requested_at = Clock::now();
            pgmigrate::cancel::request(SIGINT);
        });
        auto start = Clock::now();
        int result = 10;  // acquire returned a connection over the cap
        try {
            auto second = pool.acquire(server.endpoint(), "postgres");
        } catch (const pgmigrate::Cancelled&) {
            auto now = Clock::now();
            canceller.join();
            if (now - start < milliseconds(450)) return 11;  // did not wait for the cap at all
            if (now - requested_at > milliseconds(1000)) return 12;  // not promptly
            return pool.open_count(Side::source) == 1 ? 0 : 13;
        } catch (...) {
            result = 14;  // another error
        }
        canceller.join();
        return result;
    });
    INFO(
        "0 = Cancelled promptly; 10 = over the cap; 11 = no wait; 12 = late; 13 = count off; "
        "14 = other error; 99 = threw");
    CHECK(rc == 0);
}

TEST_CASE("two distinct but equal endpoints share the idle connection") {
    PgServer server({.name = "pool-key"});
    Endpoint first = server.endpoint();
    Endpoint second = server.endpoint();
    REQUIRE(&first != &second);
    Pool pool;
    std::string pid;
    {
        auto c = pool.acquire(first, "postgres");
        pid = backend_pid(c);
    }
    REQUIRE(pool.idle_count() == 1);
    {
        auto c = pool.acquire(second, "postgres");
        CHECK(backend_pid(c) == pid);
        CHECK(pool.idle_count() == 0);
        CHECK(pool.open_count(Side::source) == 1);
    }
    // Another user on the same server is another key.
    server.exec("CREATE ROLE other_user LOGIN PASSWORD 'Other-Pw-3'");
    Endpoint other = server.endpoint();
    other.user = "other_user";
    other.password = "Other-Pw-3";
    {
        auto c = pool.acquire(other, "postgres");
        CHECK(backend_pid(c) != pid);
        CHECK(pool.idle_count() == 1);
    }
    CHECK(pool.open_count(Side::source) == 2);
}

// The pool.hpp promise "by value, never by an Endpoint's address" also holds for a connection
// that outlives the Endpoint object it was opened with: it goes back under its own key.
TEST_CASE("a pooled connection does not depend on the Endpoint object it was opened with") {
    PgServer server({.name = "pool-owner"});
    auto first = std::make_unique<Endpoint>(server.endpoint());
    Endpoint second = server.endpoint();
    Pool pool;
    std::string pid;
    {
        auto c = pool.acquire(*first, "postgres");
        pid = backend_pid(c);
    }
    // The object the connection was opened with changes (as a freed one would be reused).
    first->host = "changed.invalid";
    first->side = Side::target;
    {
        auto c = pool.acquire(second, "postgres");
        CHECK(backend_pid(c) == pid);
        CHECK(c->endpoint().host == second.host);
    }
    CHECK(pool.open_count(Side::source) == 1);
    CHECK(pool.open_count(Side::target) == 0);
    {
        auto c = pool.acquire(second, "postgres");
        CHECK(backend_pid(c) == pid);  // went back under the source's key, not the changed one
    }
}

// A connection opened outside the pool (a dump's snapshot connection) and adopted afterwards is
// the one the next acquire of its database gets, and counts against the cap; with the cap
// reached, adopt closes it instead.
TEST_CASE("an adopted connection is reused by the next acquire and counts against the cap") {
    PgServer server({.name = "pool-adopt"});
    Endpoint endpoint = server.endpoint();
    Pool pool;
    pool.set_limit(Side::source, 1);
    auto outside = pgmigrate::pg::connect_with_retry(endpoint, "postgres");
    std::string pid = outside.query("SELECT pg_backend_pid()").get(0, 0);
    pool.adopt(std::move(outside));
    CHECK(pool.idle_count() == 1);
    CHECK(pool.open_count(Side::source) == 1);
    {
        auto c = pool.acquire(endpoint, "postgres");
        CHECK(backend_pid(c) == pid);
        // The cap (1) is reached: a second adopted connection is closed, not kept.
        auto extra = pgmigrate::pg::connect_with_retry(endpoint, "postgres");
        std::string extra_pid = extra.query("SELECT pg_backend_pid()").get(0, 0);
        pool.adopt(std::move(extra));
        CHECK(pool.idle_count() == 0);
        CHECK(pool.open_count(Side::source) == 1);
        bool gone = false;
        for (int i = 0; i < 50 && !gone; ++i) {
            gone = c->query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", {extra_pid})
                       .get_int(0, 0) == 0;
            if (!gone) std::this_thread::sleep_for(milliseconds(100));
        }
        CHECK(gone);
    }
    CHECK(pool.idle_count() == 1);
    CHECK(pool.open_count(Side::source) == 1);
}
