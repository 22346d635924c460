// Statistics on arrival (issue 13): after a migration every table on the target has been
// vacuumed and analyzed by pg-migrate (manual last_vacuum / last_analyze, which autovacuum never
// sets; reltuples and the visibility map filled), and --no-analyze leaves that undone.
#include <catch2/catch.hpp>

#include "pg_server.hpp"

using namespace pgtest;

namespace {
struct StatsPair {
    PgServer source{{.name = "anasrc", .password = "Src-Pw-an"}};
    PgServer target{{.name = "anadst", .password = "Dst-Pw-an"}};
    TempDir home{"pgm-analyze"};
    StatsPair() {
        source.exec("CREATE DATABASE stats_db");
        source.exec(
            "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);"
            "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 3000) g;"
            "CREATE SCHEMA \"Other Schema\";"
            "CREATE TABLE \"Other Schema\".\"Mixed Case\" (v int);"
            "INSERT INTO \"Other Schema\".\"Mixed Case\" SELECT generate_series(1, 500);"
            "CREATE TABLE empty_one (v int);",
            "stats_db");
    }
    // "schema.table vacuumed analyzed reltuples allvisible" per table of stats_db on the target
    std::vector<std::vector<std::string>> target_stats() const {
        return target.rows(
            "SELECT s.schemaname || '.' || s.relname, (s.last_vacuum IS NOT NULL)::text, "
            "(s.last_analyze IS NOT NULL)::text, c.reltuples::bigint::text, "
            "(c.relallvisible > 0)::text "
            "FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid ORDER BY 1",
            "stats_db");
    }
};
}  // namespace

TEST_CASE("every migrated table is vacuumed and analyzed on the target") {
    StatsPair p;
    auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                              {.extra_args = {"--migrate-globals=false"}});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(run.contains("VACUUM (ANALYZE) of 3 table(s)"));
    auto stats = p.target_stats();
    REQUIRE(stats.size() == 3);
    for (const auto& row : stats) {
        INFO(row[0]);
        CHECK(row[1] == "true");  // last_vacuum
        CHECK(row[2] == "true");  // last_analyze
    }
    CHECK(stats[0] ==
          std::vector<std::string>{"Other Schema.Mixed Case", "true", "true", "500", "true"});
    CHECK(stats[1][0] == "public.empty_one");
    CHECK(stats[1][3] == "0");
    CHECK(stats[2] == std::vector<std::string>{"public.items", "true", "true", "3000", "true"});
    // The planner has column statistics.
    CHECK(p.target.scalar("SELECT count(*) FROM pg_stats WHERE tablename = 'items'", "stats_db") ==
          "2");
}

TEST_CASE("--no-analyze leaves the target's tables unvacuumed and unanalyzed") {
    StatsPair p;
    auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                              {.extra_args = {"--migrate-globals=false", "--no-analyze"}});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK_FALSE(run.contains("VACUUM (ANALYZE)"));
    auto stats = p.target_stats();
    REQUIRE(stats.size() == 3);
    for (const auto& row : stats) {
        INFO(row[0]);
        CHECK(row[1] == "false");  // no manual VACUUM (autovacuum sets last_autovacuum instead)
        CHECK(row[2] == "false");  // no manual ANALYZE
    }
}
