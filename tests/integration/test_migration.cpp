// Issue 3 end to end: a whole server migrates and verifies, databases arrive as they were,
// roles arrive without touching the target's migration user, target settings are put back,
// interrupted runs resume, mismatches fail, and a second run does nothing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "pg_server.hpp"
#include "scenario.hpp"

using namespace pgtest;
namespace fs = std::filesystem;

namespace {
// The scenario plus a target setting in postgresql.auto.conf that must survive the run.
struct Pair : ScenarioPair {
    Pair() : ScenarioPair("mig") {
        target.exec("ALTER SYSTEM SET maintenance_work_mem = '77MB'");
        target.exec("SELECT pg_reload_conf()");
    }
};
}  // namespace

TEST_CASE("a whole server migrates, verifies, and looks the same on the target") {
    Pair p;
    std::string settings_before = target_settings(p.target);
    auto run = run_pg_migrate(p.source, p.target, p.home.path());
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    // The four scenario databases, and the source's postgres and template1 carried into the
    // target's own.
    CHECK(run.contains("all 6 database(s) migrated and verified"));
    CHECK(run.contains("summary:"));

    for (const auto& db : scenario_databases()) {
        INFO("database " << db);
        auto src_schema = schema_dump(p.source, db), dst_schema = schema_dump(p.target, db);
        if (src_schema != dst_schema) {
            std::ofstream("/tmp/pgm-src-" + std::to_string(::getpid()) + ".sql") << src_schema;
            std::ofstream("/tmp/pgm-dst-" + std::to_string(::getpid()) + ".sql") << dst_schema;
        }
        CHECK(src_schema == dst_schema);
        CHECK(table_counts(p.source, db) == table_counts(p.target, db));
        CHECK(fs::exists(p.home.path() / "pg_verify_state"));
    }
    CHECK(table_counts(p.target, "plain_db").find("public.items=2000") != std::string::npos);

    // Roles arrived, with their passwords; the target's own postgres password is unchanged.
    pgmigrate::pg::Endpoint owner = p.target.endpoint();
    owner.user = "app_owner";
    owner.password = "Owner-Pw-31";
    CHECK(pgmigrate::pg::Connection::open(owner, "owned_db").query("SELECT 1").get(0, 0) == "1");
    CHECK(p.target.scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'Weird \"Role\" ü'") ==
          "1");
    CHECK(p.target.scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres_helper'") ==
          "1");
    CHECK(p.target.scalar("SELECT 'still mine'") == "still mine");  // Dst-Pw-8y still works
    CHECK(p.target.scalar(
              "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'owned_db'") ==
          "app_owner");
    CHECK(p.target.scalar(
              "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = 'latin_db'") ==
          "LATIN1");
    CHECK(p.target.scalar("SELECT datconnlimit FROM pg_database WHERE datname = 'latin_db'") ==
          "5");

    // Target settings are exactly as before.
    CHECK(target_settings(p.target) == settings_before);
    CHECK(settings_before.find("auto:maintenance_work_mem=77MB") != std::string::npos);

    // A second run does no dump or restore work.
    auto again = run_pg_migrate(p.source, p.target, p.home.path());
    INFO(again.output);
    CHECK(again.exit_code == 0);
    CHECK_FALSE(again.contains("] dumping"));
    CHECK_FALSE(again.contains("] restoring"));
    CHECK(again.contains("ok (already done)"));
    CHECK(target_settings(p.target) == settings_before);
}

TEST_CASE("a run killed during a restore resumes, completes and verifies") {
    Pair p;
    std::string settings_before = target_settings(p.target);
    MigrateOptions kill;
    kill.kill_when = [](const std::string& line) {
        return line.find("] restoring") != std::string::npos;
    };
    auto first = run_pg_migrate(p.source, p.target, p.home.path(), kill);
    INFO(first.output);
    REQUIRE(first.signal == 9);
    CHECK(target_settings(p.target) != settings_before);  // left changed by the killed run
    CHECK(fs::exists(p.home.path() / "pg_migrate_state" / "dst_settings.json"));

    auto second = run_pg_migrate(p.source, p.target, p.home.path());
    INFO(second.output);
    REQUIRE(second.exit_code == 0);
    CHECK(second.contains("an earlier run left the target's settings changed"));
    for (const auto& db : scenario_databases()) {
        INFO("database " << db);
        CHECK(table_counts(p.source, db) == table_counts(p.target, db));
        CHECK(schema_dump(p.source, db) == schema_dump(p.target, db));
    }
    CHECK(target_settings(p.target) == settings_before);
}

TEST_CASE("a row-count mismatch is reported and exits non-zero") {
    Pair p;
    auto first = run_pg_migrate(p.source, p.target, p.home.path());
    REQUIRE(first.exit_code == 0);
    // Make the target differ, then ask for the regular verification again.
    p.target.exec("INSERT INTO items (name) VALUES ('extra')", "plain_db");
    auto state = p.home.path() / "pg_migrate_state";
    auto verify = p.home.path() / "pg_verify_state";
    fs::remove(state / "plain_db.done");
    fs::remove(verify / "plain_db.verify");
    fs::remove(verify / "plain_db.dst_counts.json");
    auto second = run_pg_migrate(p.source, p.target, p.home.path());
    INFO(second.output);
    CHECK(second.exit_code == 1);
    CHECK(second.contains("MISMATCH"));
    CHECK(second.contains("public.items"));
    CHECK(second.contains("[plain_db] failed while verifying"));
    CHECK_FALSE(fs::exists(state / "plain_db.done"));
}
