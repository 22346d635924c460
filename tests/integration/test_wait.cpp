// --wait-for-servers (pg/wait): pg-migrate started before its source server accepts
// connections waits for it; a refused login is not waited for; the limit is kept.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "pg_server.hpp"

using namespace pgtest;
using Clock = std::chrono::steady_clock;

TEST_CASE("pg-migrate waits for a source server that starts after it") {
    PgServer source({.name = "waitsrc"});
    PgServer target({.name = "waitdst", .password = "Wait-Dst-Pw"});
    source.exec("CREATE DATABASE waited_for");
    source.exec("CREATE TABLE t AS SELECT g FROM generate_series(1, 500) g", "waited_for");
    source.stop();
    TempDir home("pgm-wait");
    bool started = false;
    MigrateOptions options{.extra_args = {"--wait-for-servers", "90"}};
    options.kill_when = [&](const std::string& line) {
        // The second wait line: pg-migrate has retried at least once before the server is up.
        if (!started && line.find("waiting for the source server") != std::string::npos &&
            line.find("retry in 1.0 s") != std::string::npos) {
            source.start();
            started = true;
        }
        return false;
    };
    auto run = run_pg_migrate(source, target, home.path(), options);
    INFO(run.output);
    CHECK(started);
    CHECK(run.exit_code == 0);
    CHECK(run.contains("source server 127.0.0.1:" + std::to_string(source.port()) +
                       " accepts connections (after"));
    CHECK(target.scalar("SELECT count(*) FROM t", "waited_for") == "500");
    CHECK_FALSE(run.contains(source.password()));
    CHECK_FALSE(run.contains(target.password()));
}

TEST_CASE("a refused login is not waited for") {
    PgServer source({.name = "waitpw"});
    PgServer target({.name = "waitpwdst"});
    TempDir home("pgm-wait-pw");
    MigrateOptions options{.extra_args = {"--wait-for-servers", "120"},
                           .env = {{"PG_MIGRATE_FROM_PASS", "Wrong-Wait-Pw-5"}},
                           .pass_passwords = false};
    options.env["PG_MIGRATE_TO_PASS"] = target.password();
    auto begun = Clock::now();
    auto run = run_pg_migrate(source, target, home.path(), options);
    INFO(run.output);
    CHECK(run.exit_code == 3);
    CHECK(run.contains("not retried by --wait-for-servers"));
    CHECK(run.contains("28P01"));
    CHECK(Clock::now() - begun < std::chrono::seconds(30));
    CHECK_FALSE(run.contains("Wrong-Wait-Pw-5"));
}

TEST_CASE("a server that never comes up ends the wait at the limit") {
    PgServer source({.name = "waitnever"});
    PgServer target({.name = "waitneverdst"});
    source.stop();
    TempDir home("pgm-wait-never");
    auto begun = Clock::now();
    auto run =
        run_pg_migrate(source, target, home.path(), {.extra_args = {"--wait-for-servers", "3"}});
    INFO(run.output);
    auto took = Clock::now() - begun;
    CHECK(run.exit_code == 3);
    CHECK(run.contains("did not accept connections within --wait-for-servers 3s"));
    CHECK(took >= std::chrono::seconds(3));
    CHECK(took < std::chrono::seconds(20));
}
