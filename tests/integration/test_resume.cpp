// Issue 10: a re-run never reports a wrong target as done. Options changed between runs,
// markers deleted, the same HOME against another server, a hand-made database after an
// interrupted CREATE, settings left by a killed run: each ends with the target's rows compared
// with the source's, never with the exit code alone.
#include <catch2/catch.hpp>
#include <atomic>
#include <filesystem>
#include <thread>

#include "pg_server.hpp"
#include "scenario.hpp"

using namespace pgtest;
namespace fs = std::filesystem;

namespace {

void fill(PgServer& s) {
    s.exec("CREATE DATABASE app");
    s.exec(R"SQL(
CREATE TABLE big (id serial PRIMARY KEY, v text);
CREATE INDEX big_v_idx ON big (v);
INSERT INTO big (v) SELECT 'v' || g FROM generate_series(1, 3000) g;
CREATE TABLE small (id int PRIMARY KEY, big_id int REFERENCES big(id));
INSERT INTO small SELECT g, g FROM generate_series(1, 40) g;
)SQL",
           "app");
}

struct Pair {
    PgServer source{{.name = "rsrc", .password = "Rsrc-Pw-1"}};
    PgServer target{{.name = "rdst", .password = "Rdst-Pw-2"}};
    TempDir home{"pgm-resume"};
    Pair() { fill(source); }
    MigrateRun run(const std::vector<std::string>& args = {},
                   std::function<bool(const std::string&)> kill = nullptr) {
        MigrateOptions o{.extra_args = args};
        o.kill_when = std::move(kill);
        return run_pg_migrate(source, target, home.path(), o);
    }
    void expect_equal() const { CHECK(table_counts(source, "app") == table_counts(target, "app")); }
};

std::function<bool(const std::string&)> on(const std::string& needle) {
    return [needle](const std::string& l) { return l.find(needle) != std::string::npos; };
}

const fs::path marker(const Pair& p, const std::string& name) {
    return p.home.path() / "pg_migrate_state" / name;
}

}  // namespace

TEST_CASE("a re-run without --delay-table-data after a kill between the phases loads the data") {
    Pair p;
    auto first = p.run({"--delay-table-data", "app.big"}, on("[app] verification (row counts"));
    INFO(first.output);
    REQUIRE(first.signal == 9);
    REQUIRE(fs::exists(marker(p, "app.restored")));
    CHECK(p.target.scalar("SELECT count(*) FROM big", "app") == "0");  // left out of the dump

    auto second = p.run();
    INFO(second.output);
    REQUIRE(second.exit_code == 0);
    CHECK(second.contains("it loads in the delayed phase now"));
    CHECK(p.target.scalar("SELECT count(*) FROM big", "app") == "3000");
    p.expect_equal();
}

TEST_CASE("a pattern added after a finished run loads nothing twice") {
    Pair p;
    REQUIRE(p.run().exit_code == 0);
    auto again = p.run({"--delay-table-data", "app.big"});
    INFO(again.output);
    REQUIRE(again.exit_code == 0);
    CHECK(again.contains("the dump already holds their data"));
    p.expect_equal();
}

TEST_CASE("every run verifies again: a target changed after a finished run fails") {
    Pair p;
    REQUIRE(p.run().exit_code == 0);
    p.target.exec("DELETE FROM small WHERE id <= 5", "app");
    auto again = p.run();
    INFO(again.output);
    CHECK(again.exit_code == 1);
    CHECK(again.contains("MISMATCH"));
    CHECK_FALSE(again.contains("migrated and verified"));
}

TEST_CASE("deleting a step's marker redoes that step and what builds on it") {
    Pair p;
    REQUIRE(p.run().exit_code == 0);
    p.target.exec("DELETE FROM small", "app");  // the redone restore must bring them back
    fs::remove(marker(p, "app.restored"));
    auto redo_restore = p.run();
    INFO(redo_restore.output);
    REQUIRE(redo_restore.exit_code == 0);
    p.expect_equal();

    p.source.exec("INSERT INTO small VALUES (100, 1)", "app");  // a new dump sees this row
    fs::remove(marker(p, "app.dumped"));
    auto redo_dump = p.run();
    INFO(redo_dump.output);
    REQUIRE(redo_dump.exit_code == 0);
    CHECK(redo_dump.contains("redoing step restored"));
    p.expect_equal();
}

TEST_CASE("the same HOME against another source is refused; --reset-state starts over") {
    Pair p;
    REQUIRE(p.run().exit_code == 0);
    PgServer other({.name = "rother", .password = "Rsrc-Pw-1"});
    fill(other);
    other.exec("INSERT INTO big (v) VALUES ('only on the other source')", "app");
    MigrateOptions o;
    auto refused = run_pg_migrate(other, p.target, p.home.path(), o);
    INFO(refused.output);
    CHECK(refused.exit_code == 5);
    CHECK(refused.contains("belongs to a migration from"));
    CHECK(refused.contains("--reset-state"));
    p.expect_equal();  // the target still holds the first source's data, untouched

    o.extra_args = {"--reset-state"};
    auto reset = run_pg_migrate(other, p.target, p.home.path(), o);
    INFO(reset.output);
    REQUIRE(reset.exit_code == 0);
    CHECK(table_counts(other, "app") == table_counts(p.target, "app"));
}

TEST_CASE("--restart-database migrates one database again from scratch") {
    Pair p;
    REQUIRE(p.run().exit_code == 0);
    p.source.exec("INSERT INTO big (v) SELECT 'later' FROM generate_series(1, 10)", "app");
    auto plain = p.run();  // verified against the dump it holds; the new rows are news only
    INFO(plain.output);
    CHECK(plain.exit_code == 0);
    CHECK(plain.contains("the source has moved on by 10 row change(s) in 1 table(s)"));
    auto restart = p.run({"--restart-database", "app"});
    INFO(restart.output);
    REQUIRE(restart.exit_code == 0);
    CHECK(restart.contains("--restart-database"));
    p.expect_equal();
}

TEST_CASE("a database made by hand after an interrupted CREATE is never dropped") {
    Pair p;
    auto killed = p.run({}, on("[app] creating database on the target"));
    INFO(killed.output);
    REQUIRE(killed.signal == 9);
    // The operator makes the database by hand (say, to look at it) with data of their own.
    p.target.exec("DROP DATABASE IF EXISTS app WITH (FORCE)");
    p.target.exec("CREATE DATABASE app");
    p.target.exec("CREATE TABLE handmade (x int); INSERT INTO handmade VALUES (42)", "app");

    auto again = p.run();
    INFO(again.output);
    CHECK(again.exit_code != 0);
    CHECK(again.contains("was not created by pg-migrate"));
    CHECK(p.target.scalar("SELECT x FROM handmade", "app") == "42");
    // Whatever the killed run had created under its temporary name is gone.
    CHECK(p.target.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'pgmigrate_new_%'") ==
          "0");

    p.target.exec("DROP DATABASE app");
    auto finally = p.run();
    INFO(finally.output);
    REQUIRE(finally.exit_code == 0);
    p.expect_equal();
}

TEST_CASE("settings left by a killed run are put back even with --disable-dst-optimizations") {
    Pair p;
    std::string before = target_settings(p.target);
    auto killed = p.run({}, on("[app] restoring"));
    INFO(killed.output);
    REQUIRE(killed.signal == 9);
    CHECK(target_settings(p.target) != before);  // the killed run left them changed

    auto again = p.run({"--disable-dst-optimizations"});
    INFO(again.output);
    REQUIRE(again.exit_code == 0);
    CHECK(again.contains("putting them back first"));
    CHECK(target_settings(p.target) == before);
    p.expect_equal();
}

TEST_CASE("a source written to during the run verifies against the dump's snapshot") {
    Pair p;
    std::atomic<bool> stop{false};
    std::atomic<int> inserted{0};
    std::thread writer([&] {
        auto conn = p.source.connect("app");
        while (!stop) {
            // Statistics reach the shared counters at most once a second unless asked: the
            // "moved on" note is read from them, and a small run can be over within a second.
            conn.execute("INSERT INTO big (v) VALUES ('live'); SELECT pg_stat_force_next_flush()");
            ++inserted;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    });
    auto run = p.run();
    stop = true;
    writer.join();
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(inserted > 0);
    long long on_target = std::stoll(p.target.scalar("SELECT count(*) FROM big", "app"));
    long long on_source = std::stoll(p.source.scalar("SELECT count(*) FROM big", "app"));
    CHECK(on_target >= 3000);
    CHECK(on_target < on_source);  // the source moved on; the target holds the snapshot
    CHECK(run.contains("the source has moved on by"));
}
