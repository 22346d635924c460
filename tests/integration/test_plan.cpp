// Issue 14: `pg-migrate plan` reports what a run would do and what blocks it, changing nothing
// on either server and writing nothing but its report; --include-database/--exclude-database
// choose databases as documented; the source's postgres and template1 are carried; the report of
// a failed and of an interrupted run is complete and valid (tests/support/check_report.py).
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>

#include "pg_server.hpp"
#include "report_check.hpp"
#include "scenario.hpp"

using namespace pgtest;
namespace fs = std::filesystem;

namespace {

// What plan must not change: databases, roles (with password hashes), the number of catalog
// entries of every connectable database, and the target settings pg-migrate could touch.
std::string fingerprint(const PgServer& s) {
    std::string out;
    for (const auto& r : s.rows("SELECT datname, datistemplate, datallowconn FROM pg_database "
                                "ORDER BY 1"))
        out += fmt::format("db {}\n", fmt::join(r, " "));
    for (const auto& r :
         s.rows("SELECT rolname, rolsuper, rolcanlogin, rolcreatedb, md5(coalesce(rolpassword, "
                "'')) FROM pg_authid ORDER BY 1"))
        out += fmt::format("role {}\n", fmt::join(r, " "));
    for (const auto& r : s.rows("SELECT datname FROM pg_database WHERE datallowconn ORDER BY 1"))
        out +=
            fmt::format("pg_class {} {}\n", r[0], s.scalar("SELECT count(*) FROM pg_class", r[0]));
    out += target_settings(s);
    return out;
}

MigrateRun plan(const PgServer& src, const PgServer& dst, const fs::path& home,
                std::vector<std::string> args) {
    args.insert(args.begin(), "plan");
    return run_pg_migrate(src, dst, home, {.extra_args = args});
}

bool nothing_written(const fs::path& home) {
    for (const char* d : {"pg_migrate_state", "pg_verify_state", "pg_dumps"})
        if (fs::exists(home / d)) return false;
    return true;
}

}  // namespace

TEST_CASE(
    "plan reports databases, conflicts and hazards, blocks on a missing extension, "
    "and changes nothing") {
    // Source: Debian's PostgreSQL 15. Target: PostgreSQL 17, which no longer ships old_snapshot.
    PgServer source({.name = "plansrc", .password = "Plan-Src-Pw"});
    PgServer target(
        {.name = "plandst", .bin_dir = embedded_bin_dir(17), .password = "Plan-Dst-Pw"});
    TempDir home("pgm-plan");
    for (const char* db : {"app", "ext_db", "taken", "tmpl", "locked"})
        source.exec(fmt::format("CREATE DATABASE {}", db));
    source.exec(
        "ALTER DATABASE tmpl IS_TEMPLATE true; ALTER DATABASE locked ALLOW_CONNECTIONS false");
    source.exec(
        "CREATE TABLE events_2024 (id int); CREATE TABLE events_2025 (id int); "
        "CREATE TABLE customers (id int); INSERT INTO customers VALUES (1), (2)",
        "app");
    source.exec("CREATE EXTENSION old_snapshot", "ext_db");
    source.exec("CREATE TABLE kept_in_postgres (id int)");
    source.exec(
        "SET password_encryption = 'md5'; CREATE ROLE md5_user LOGIN PASSWORD 'Md5-Pw-1'; "
        "CREATE ROLE shared_role LOGIN CREATEDB");
    target.exec("CREATE DATABASE taken");
    target.exec("CREATE ROLE shared_role NOLOGIN");

    std::string src_before = fingerprint(source), dst_before = fingerprint(target);
    fs::path report = home.path() / "plan.json";
    auto run = plan(source, target, home.path(),
                    {"--delay-table-data", "app.events_*", "--report", report.string()});
    INFO(run.output);
    CHECK(run.exit_code == 1);
    // Databases and why some are not migrated.
    CHECK(run.contains("databases to migrate: 5"));  // app, ext_db, taken, postgres, template1
    CHECK(run.contains("target's existing postgres"));
    CHECK(run.contains("template0 never changes"));
    CHECK(run.contains("a template database (datistemplate)"));
    CHECK(run.contains("datallowconn is false"));
    CHECK(run.contains("app.events_*: public.events_2024, public.events_2025"));
    // Blockers, each with its fix.
    CHECK(
        run.contains("BLOCKER database \"ext_db\" uses extension old_snapshot, which the target "
                     "(PostgreSQL 17) does not have available"));
    CHECK(run.contains("fix: install the package providing old_snapshot"));
    CHECK(run.contains("BLOCKER database \"taken\" already exists on the target"));
    CHECK(run.contains("result: blocked by 2 problem(s)"));
    // Warnings.
    CHECK(run.contains("role shared_role exists on the target with other attributes"));
    CHECK(run.contains("1 role(s) have md5 password hashes"));
    CHECK(run.contains("the source's postgres holds 1 table(s)"));
    CHECK(run.contains("pg_restore 15"));  // older than the 17 target
    // Budget, space, tools, estimate.
    CHECK(run.contains("source: peak "));
    CHECK(run.contains("max_connections"));
    CHECK(run.contains("dump space: "));
    CHECK(run.contains("estimated duration: "));
    CHECK(run.contains("client tools: "));

    CHECK(fingerprint(source) == src_before);
    CHECK(fingerprint(target) == dst_before);
    CHECK(nothing_written(home.path()));
    auto doc = check_report(report, "blocked", 1);
    CHECK(doc["command"] == "plan");
    CHECK(doc["plan"]["can_go_ahead"] == false);
    CHECK(doc["servers"]["target"]["major"] == 17);

    // Without the two blocked databases the run can go ahead; warnings do not block.
    auto ok = plan(source, target, home.path(),
                   {"--exclude-database", "ext_db", "--exclude-database", "TAKEN", "--report",
                    report.string()});
    INFO(ok.output);
    CHECK(ok.exit_code == 0);
    CHECK(ok.contains("excluded by --exclude-database 'ext_db'"));
    CHECK(ok.contains("excluded by --exclude-database 'TAKEN'"));  // folded to taken
    CHECK(ok.contains("result: the run can go ahead"));
    check_report(report, "success", 0);
    CHECK(fingerprint(source) == src_before);
    CHECK(fingerprint(target) == dst_before);
    CHECK(nothing_written(home.path()));
}

TEST_CASE("a 12 -> 15 plan finds postfix operators and md5 passwords") {
    PgServer source({.name = "plan12", .bin_dir = embedded_bin_dir(12), .password = "P12-Pw"});
    PgServer target({.name = "plan15", .password = "P15-Pw"});
    TempDir home("pgm-plan12");
    REQUIRE(source.major() == 12);
    source.exec("CREATE DATABASE ops");
    source.exec("CREATE OPERATOR public.### (LEFTARG = integer, PROCEDURE = int4abs)", "ops");
    source.exec("SET password_encryption = 'md5'; CREATE ROLE old_app LOGIN PASSWORD 'Old-Pw-9'");
    std::string src_before = fingerprint(source), dst_before = fingerprint(target);
    fs::path report = home.path() / "plan.json";
    auto run = plan(source, target, home.path(), {"--report", report.string()});
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(
        run.contains("BLOCKER database \"ops\" has postfix operators, removed in PostgreSQL 14: "
                     "###(integer,NONE)"));
    CHECK(run.contains("1 role(s) have md5 password hashes"));
    CHECK(run.contains("dumps PostgreSQL 12: yes"));
    CHECK(fingerprint(source) == src_before);
    CHECK(fingerprint(target) == dst_before);
    CHECK(nothing_written(home.path()));
    check_report(report, "blocked", 1);
}

TEST_CASE("--include-database and --exclude-database choose databases as documented") {
    PgServer source({.name = "selsrc", .password = "Sel-Src-Pw"});
    PgServer target({.name = "seldst", .password = "Sel-Dst-Pw"});
    TempDir home("pgm-select");
    for (const char* db : {"app_a", "app_b", "app_old", "\"Other\"", "other", "\"app*\""})
        source.exec(fmt::format("CREATE DATABASE {}", db));
    for (const char* db : {"app_a", "app_b", "app_old", "Other", "other", "app*"})
        source.exec("CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 50)", db);
    fs::path report = home.path() / "run.json";
    // Unquoted APP_* folds to app_* (a glob); "Other" is exact; the quoted "app*" is literal.
    auto run = run_pg_migrate(
        source, target, home.path(),
        {.extra_args = {"--include-database", "APP_*", "--include-database", "\"Other\"",
                        "--exclude-database", "app_old", "--report", report.string()}});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    auto on_target = target.rows(
        "SELECT datname FROM pg_database WHERE datname NOT IN "
        "('postgres', 'template0', 'template1') ORDER BY 1");
    std::vector<std::string> names;
    for (const auto& r : on_target) names.push_back(r[0]);
    CHECK(names == std::vector<std::string>{"Other", "app_a", "app_b"});
    CHECK(target.scalar("SELECT count(*) FROM t", "app_b") == "50");

    auto doc = check_report(report, "success", 0);
    std::map<std::string, std::string> skipped;
    for (const auto& s : doc["skipped_databases"]) skipped[s["name"]] = s["reason"];
    CHECK(skipped["app_old"] == "excluded by --exclude-database 'app_old'");
    CHECK(skipped["other"] == "not matched by any --include-database");
    CHECK(skipped["app*"] == "not matched by any --include-database");
    CHECK(skipped["postgres"] == "not matched by any --include-database");
    CHECK(skipped.count("template0") == 1);
    CHECK(doc["totals"]["databases"] == 3);
    // The summary lists what was not migrated and why.
    CHECK(run.contains("not migrated:"));

    // Only the quoted "app*" takes the database of that name and not app_a.
    auto quoted = plan(source, target, home.path(), {"--include-database", "\"app*\""});
    INFO(quoted.output);
    CHECK(quoted.contains("databases to migrate: 1"));

    // A malformed pattern is a usage error before anything connects.
    auto bad =
        run_pg_migrate(source, target, home.path(), {.extra_args = {"--exclude-database", "a.b"}});
    CHECK(bad.exit_code == 2);
    CHECK(bad.contains("--exclude-database 'a.b'"));
}

// Needs DatabaseTask support for Placement::existing (restore into the target's own postgres and
// template1 without CREATE DATABASE): the lead's part of issue 14.
TEST_CASE("objects in the source's postgres and template1 arrive in the target's") {
    PgServer source({.name = "pgsrc", .password = "Pg-Src-Pw"});
    PgServer target({.name = "pgdst", .password = "Pg-Dst-Pw"});
    TempDir home("pgm-postgres");
    source.exec(
        "CREATE TABLE carried (id int); INSERT INTO carried VALUES (1), (2), (3); "
        "CREATE EXTENSION hstore; "
        "CREATE FUNCTION carried_fn() RETURNS int LANGUAGE sql AS 'SELECT 42'");
    source.exec(
        "CREATE TABLE t1_carried (id int); INSERT INTO t1_carried VALUES (7); "
        "CREATE EXTENSION citext; "
        "CREATE FUNCTION t1_fn() RETURNS text LANGUAGE sql AS 'SELECT ''t1'''",
        "template1");
    fs::path report = home.path() / "run.json";
    auto run =
        run_pg_migrate(source, target, home.path(), {.extra_args = {"--report", report.string()}});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(target.scalar("SELECT count(*) FROM carried") == "3");
    CHECK(target.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'hstore'") == "1");
    CHECK(target.scalar("SELECT carried_fn()") == "42");
    CHECK(target.scalar("SELECT count(*) FROM t1_carried", "template1") == "1");
    CHECK(target.scalar("SELECT count(*) FROM pg_extension WHERE extname = 'citext'",
                        "template1") == "1");
    CHECK(target.scalar("SELECT t1_fn()", "template1") == "t1");
    auto doc = check_report(report, "success", 0);
    std::set<std::string> placed_existing;
    for (const auto& d : doc["databases"])
        if (d["placement"] == "existing") placed_existing.insert(d["name"]);
    CHECK(placed_existing == std::set<std::string>{"postgres", "template1"});
}

TEST_CASE("the report of a failed run and of an interrupted run is complete and valid") {
    PgServer source({.name = "repsrc", .password = "Rep-Src-Pw"});
    PgServer target({.name = "repdst", .password = "Rep-Dst-Pw"});
    for (const char* db : {"good", "clash", "third"})
        source.exec(fmt::format("CREATE DATABASE {}", db));
    for (const char* db : {"good", "clash", "third"})
        source.exec(
            "CREATE TABLE t (id int, v text); "
            "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 3000) g",
            db);
    target.exec("CREATE DATABASE clash");  // not pg-migrate's: that database fails

    SECTION("failed") {
        TempDir home("pgm-repfail");
        fs::path report = home.path() / "failed.json";
        // postgres and template1 left out: the three databases above are the whole run.
        auto run =
            run_pg_migrate(source, target, home.path(),
                           {.extra_args = {"--exclude-database", "postgres", "--exclude-database",
                                           "template1", "--report", report.string()}});
        INFO(run.output);
        REQUIRE(run.exit_code == 1);
        auto doc = check_report(report, "failed", 1);
        std::map<std::string, nlohmann::json> dbs;
        for (const auto& d : doc["databases"]) dbs[d["name"]] = d;
        REQUIRE(dbs.size() == 3);
        CHECK(dbs["clash"]["status"] == "failed");
        CHECK(dbs["clash"]["error"].get<std::string>().find("already exists") != std::string::npos);
        CHECK(dbs["good"]["status"] == "complete");
        CHECK(dbs["good"]["verification"]["regular_ok"] == true);
        CHECK(dbs["good"]["verification"]["rows_verified"] == 3000);
        REQUIRE(dbs["good"]["verification"]["tables"].size() == 1);
        CHECK(dbs["good"]["verification"]["tables"][0]["target_rows"] == 3000);
        CHECK(dbs["good"]["bytes"]["dumped"].get<std::uint64_t>() > 0);
        CHECK(dbs["good"]["bytes"]["restored"].get<std::uint64_t>() > 0);
        CHECK(dbs["good"]["steps"].size() >= 4);
        CHECK_FALSE(doc["errors"].empty());
        CHECK(doc["servers"]["source"]["version"].get<std::string>().rfind("15.", 0) == 0);
        CHECK(doc["options"]["from"]["password_given"] == true);
        CHECK(doc.dump().find("Rep-Src-Pw") == std::string::npos);
        CHECK(doc.dump().find("Rep-Dst-Pw") == std::string::npos);
    }
    SECTION("interrupted by SIGTERM") {
        TempDir home("pgm-repterm");
        fs::path report = home.path() / "term.json";
        MigrateOptions o;
        o.extra_args = {"--exclude-database", "clash", "--report", report.string()};
        o.kill_when = [](const std::string& line) {
            return line.find("] dumping") != std::string::npos;
        };
        o.signal_to_send = SIGTERM;
        auto run = run_pg_migrate(source, target, home.path(), o);
        INFO(run.output);
        REQUIRE(run.exit_code == 143);
        auto doc = check_report(report, "interrupted", 143);
        CHECK(doc["signal"] == SIGTERM);
        CHECK(doc["totals"]["databases"].get<int>() >= 2);
        bool some_unfinished = false;
        for (const auto& d : doc["databases"])
            some_unfinished = some_unfinished || d["status"] != "complete";
        CHECK(some_unfinished);
    }
}
