// Issue 12: verification proves the target equals the source. A clean migration verifies at
// both levels; each single-value corruption on the target is found by `checksums` and named
// (database, table); the figures pg-migrate takes from a pg_dump directory equal the ones read
// from the live source; typed data across majors has no false mismatch.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "pg_server.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/process/pg_tools.hpp"
#include "pgmigrate/verify/dump_figures.hpp"
#include "pgmigrate/verify/server_figures.hpp"
#include "pgmigrate/verify/session.hpp"
#include "report_check.hpp"
#include "scenario.hpp"

using namespace pgtest;
namespace fs = std::filesystem;
namespace verify = pgmigrate::verify;

namespace {

const std::string kTypedDb = "typed_db";

// Display settings far from the pinned ones, so a comparison that forgot to pin them fails.
const std::vector<std::string> kOddDisplaySettings = {
    "timezone = 'Asia/Kolkata'", "datestyle = 'SQL, DMY'", "intervalstyle = 'sql_standard'",
    "extra_float_digits = 0", "bytea_output = 'escape'"};

// One table of every type whose text output is touchy, two sequences, two large objects and
// a secondary index.
void add_typed_data(const PgServer& s, int server_major) {
    s.exec("CREATE DATABASE " + kTypedDb);
    std::string generated =
        server_major >= 12 ? ", twice int GENERATED ALWAYS AS (id * 2) STORED" : "";
    s.exec(R"SQL(
CREATE TABLE typed (
    id int PRIMARY KEY, dropme int, f4 real, f8 double precision, n numeric,
    ts timestamptz, iv interval, m money, b bytea, fa float8[], ra real[], ia int[], ta text[],
    j json, jb jsonb, txt text, d date, tm timetz)SQL" +
               generated + R"SQL();
ALTER TABLE typed DROP COLUMN dropme;
CREATE INDEX typed_txt_idx ON typed (txt);
INSERT INTO typed (id, f4, f8, n, ts, iv, m, b, fa, ra, ia, ta, j, jb, txt, d, tm) VALUES
 (1, 0.1, 1, 12345.678900, '2024-02-29 12:34:56.789+05:30', '1 year 2 mons 3 days 04:05:06.789',
  1234.56, '\x000102ff', '{0.1,NaN,Infinity,-Infinity,-0,5e-324,NULL}', '{0.1,1e-45,-0}',
  '{1,2}', '{"a b","c\"d",NULL}', '{"k": [1, 2.50, "x"]}', '{"k": 1}', 'one', '2024-01-01',
  '10:00+02'),
 (2, 'NaN', 'NaN', 'NaN', 'infinity', '-1 days -00:00:01', -0.01, '', '{}', NULL, NULL, '{}',
  'null', 'null', E'tab\there\nnewline \\ back', '-infinity', '23:59:59.999999-11'),
 (3, '-0', '-0', '-0.0', '-infinity', '0', 0, '\xdeadbeef', '{{1.5,2.5},{3.5,4.5}}',
  '[0:1]={1,2}', '[2:3]={7,8}', '{""}', '[]', '[]', 'three', '1999-12-31', '00:00+00'),
 (4, 'Infinity', '-Infinity', 1e-30, '1900-01-01 00:00:00+00', '-178000000 years', 92233720368547758.07,
  '\x00', '{1e308,-1e-308}', '{3.4028235e+38}', '{-2147483648}', '{"\\"}', '{"a":"\u00e9"}',
  '{"a": 1.0e2}', 'four', '0001-01-01 BC', '12:00-00:30'),
 (5, 1.17549435e-38, 2.2250738585072014e-308, 123456789012345678901234567890.1234567890,
  '2038-01-19 03:14:08+00', '1 mon -1 days', -92233720368547758.08, '\x7f80',
  '{1e-310,4.9406564584124654e-324}', '{1.4e-45}', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO typed (id, f4, f8, n, ts, iv, m, b, fa, ra, j, txt)
SELECT g, g / 3.0, g / 7.0, g / 9.0, '2020-01-01 00:00+00'::timestamptz + g * interval '37 min 13.123456 s',
       g * interval '1 day 3 hours 0.5 seconds', g * 1.25, decode(md5(g::text), 'hex'),
       ARRAY[g / 3.0, -g / 7.0]::float8[], ARRAY[g / 11.0]::real[],
       json_build_object('g', g, 'f', g / 3.0), 'row ' || g
  FROM generate_series(6, 400) g;
CREATE SEQUENCE seq_a;
SELECT setval('seq_a', 77);
CREATE SEQUENCE seq_unused;
CREATE TABLE counter (id serial PRIMARY KEY, v text);
INSERT INTO counter (v) SELECT 'v' || g FROM generate_series(1, 12) g;
SELECT lo_from_bytea(0, decode(repeat('00ff10', 20000), 'hex'));
SELECT lo_from_bytea(0, '');
CREATE TABLE empty_one (x int);
)SQL",
           kTypedDb);
}

// Floats inside arrays, domains, composites, ranges and geometric types: a source before 12
// prints them with 17 digits, a newer target with the shortest exact text. Arrays of domains
// exist from 11 on.
void add_float_structures(const PgServer& s, int server_major) {
    std::string domain_array = server_major >= 11 ? ", ad f8_again[]" : "";
    s.exec(R"SQL(
CREATE DOMAIN f8 AS double precision;
CREATE DOMAIN f8_again AS f8;
CREATE DOMAIN f8_list AS double precision[];
CREATE TYPE pair AS (label text, v float8, vs real[]);
CREATE TYPE floatrange AS RANGE (subtype = float8);
CREATE TABLE floaty (id int PRIMARY KEY, fa float8[], ra real[], dl f8_list, dd f8_again,
    c pair, ca pair[], r floatrange, p point, bx box[])SQL" +
               domain_array + R"SQL();
INSERT INTO floaty (id, fa, ra, dl, dd, c, ca, r, p, bx) VALUES
 (1, '{0.1,0.3333333333333333,1e-310,NaN,-0,Infinity,-Infinity,NULL}', '{0.1,1e-45,-0,NaN}',
  '{{0.1,0.2},{NULL,1e308}}', 0.1, '("a, \"b\"",0.1,"{0.2,NULL}")',
  ARRAY['(x,0.3,{0.4})'::pair, NULL], '[0.1,0.3333333333333333)', '(0.1,-0)',
  '{(1,1),(0.1,0.2);(2,2),(1,1)}'),
 (2, '[0:1]={0.7,NaN}', '{}', NULL, '-0', '(,,)', '{}', 'empty', '(NaN,Infinity)', NULL),
 (3, '{{1e-300,2},{3,4}}', NULL, '{}', 'NaN', NULL, NULL, '(,-0.1]', NULL, '{}');
INSERT INTO floaty (id, fa, ra, dl, dd, c, ca, r, p, bx)
SELECT g, ARRAY[g / 3.0, 1.0 / g]::float8[], ARRAY[g / 7.0]::real[], ARRAY[g / 9.0]::f8_list,
       g / 11.0, ROW('r' || g, g / 13.0, ARRAY[g / 17.0]::real[])::pair,
       ARRAY[ROW('s', g / 23.0, NULL)::pair], floatrange(g / 19.0, g / 3.0),
       point(g / 3.0, g / 7.0), ARRAY[box(point(g / 3.0, 0), point(1, g / 7.0))]
  FROM generate_series(4, 300) g;
)SQL",
           kTypedDb);
    if (server_major >= 11)
        s.exec("UPDATE floaty SET ad = ARRAY[(id / 3.0)::f8_again, NULL, 'Infinity']", kTypedDb);
}

MigrateRun verify_run(const PgServer& source, const PgServer& target, const fs::path& home,
                      const std::string& level, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"verify", "--verify", level};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_pg_migrate(source, target, home, {.extra_args = args});
}

// A directory dump of db made as pg-migrate makes them: pinned display settings in PGOPTIONS.
fs::path make_dump(const PgServer& server, const std::string& db, const fs::path& where,
                   const std::string& compression) {
    auto tools = pgmigrate::process::find_client_tools(std::nullopt);
    pgmigrate::process::Command cmd;
    cmd.program = tools.pg_dump.string();
    cmd.args = {"-Fd", "-Z",           compression,
                "-f",  where.string(), "--dbname=" + server.endpoint().child_conninfo(db)};
    cmd.environment = server.endpoint().child_environment();
    cmd.environment.push_back(verify::pinned_pgoptions_environment());
    cmd.label = "pg_dump";
    pgmigrate::process::run_checked(
        cmd, [](const std::string&) {}, pgmigrate::ExitCode::source);
    return where;
}

}  // namespace

TEST_CASE("a clean migration verifies at both levels; each corruption is found and named") {
    require_postgres();
    ScenarioPair pair("verify", 200);
    pair.source.exec("SELECT 1");
    add_typed_data(pair.source, pair.source.major());
    auto run = run_pg_migrate(pair.source, pair.target, pair.home.path());
    INFO(run.output);
    REQUIRE(run.exit_code == 0);

    for (const char* level : {"counts", "checksums"}) {
        auto v = verify_run(pair.source, pair.target, pair.home.path(), level);
        INFO(v.output);
        CHECK(v.exit_code == 0);
        CHECK(v.contains("verified: "));
    }
    // verify --report: every database and table with its result and the level, as a run's
    // report has them; a changed table is a difference there too.
    {
        auto report = pair.home.path() / "verify-report.json";
        auto find = [](const nlohmann::json& list, const std::string& key,
                       const std::string& value) -> const nlohmann::json& {
            for (const auto& item : list)
                if (item.at(key) == value) return item;
            FAIL("no " << key << " " << value << " in " << list.dump());
            throw std::logic_error("unreachable");
        };
        auto table_of = [&](const nlohmann::json& db, const std::string& name) {
            return find(db.at("verification").at("tables"), "table", name);
        };
        auto clean = verify_run(pair.source, pair.target, pair.home.path(), "checksums",
                                {"--report", report.string()});
        INFO(clean.output);
        REQUIRE(clean.exit_code == 0);
        auto doc = check_report(report, "success", 0);
        CHECK(doc.at("command") == "verify");
        CHECK(doc.at("verify").at("level") == "checksums");
        CHECK(doc.at("verify").at("equal") == true);
        CHECK(doc.at("verify").at("roles").at("equal") == true);
        CHECK(doc.at("totals").at("databases") == doc.at("verify").at("databases").size());
        CHECK(doc.at("servers").at("source").at("major") == pair.source.major());
        for (const auto& db : doc.at("databases")) {
            INFO("database " << db.at("name"));
            CHECK(db.at("status") == "complete");
            CHECK(db.at("verification").at("level") == "checksums");
            CHECK(db.at("verification").at("regular_ok") == true);
            CHECK(find(doc.at("verify").at("databases"), "name", db.at("name")).at("equal") ==
                  true);
        }
        const auto& typed = find(doc.at("databases"), "name", kTypedDb);
        CHECK(table_of(typed, "typed").at("status") == "ok");
        CHECK(table_of(typed, "typed").at("source_rows") == 400);
        CHECK(table_of(typed, "typed").at("target_rows") == 400);
        CHECK(table_of(typed, "empty_one").at("status") == "ok");

        pair.target.exec("UPDATE typed SET txt = 'onE' WHERE id = 1", kTypedDb);
        auto changed = verify_run(pair.source, pair.target, pair.home.path(), "checksums",
                                  {"--report", report.string()});
        pair.target.exec("UPDATE typed SET txt = 'one' WHERE id = 1", kTypedDb);
        INFO(changed.output);
        REQUIRE(changed.exit_code == 1);
        doc = check_report(report, "failed", 1);
        CHECK(doc.at("verify").at("equal") == false);
        const auto& broken = find(doc.at("databases"), "name", kTypedDb);
        CHECK(broken.at("status") == "failed");
        CHECK(broken.at("verification").at("regular_ok") == false);
        CHECK(table_of(broken, "typed").at("status") == "mismatch");
        CHECK(table_of(broken, "counter").at("status") == "ok");
        CHECK(broken.at("error").get<std::string>().find("public.typed: CHECKSUM MISMATCH") !=
              std::string::npos);
        const auto& section = find(doc.at("verify").at("databases"), "name", kTypedDb);
        CHECK(section.at("equal") == false);
        CHECK(section.at("differences").dump().find("public.typed: CHECKSUM MISMATCH") !=
              std::string::npos);
        for (const auto& db : doc.at("databases"))
            if (db.at("name") != kTypedDb) CHECK(db.at("status") == "complete");
    }

    // A LATIN1 database: the dump's bytes and the target's COPY are both in its encoding.
    {
        TempDir dir("pgm-vlatin");
        auto tools = pgmigrate::process::find_client_tools(std::nullopt);
        auto dump = make_dump(pair.source, "latin_db", dir.path() / "d", "5");
        auto src_conn = pair.source.connect("latin_db");
        auto shapes = verify::read_table_shapes(src_conn);
        auto from_dump =
            verify::figures_from_dump(dump, tools.pg_restore, {}, shapes, verify::Level::checksums);
        auto dst_conn = pair.target.connect("latin_db");
        auto on_target = verify::figures_from_server(dst_conn, shapes, verify::Level::checksums);
        REQUIRE(from_dump.tables.size() == 1);
        CHECK(from_dump.tables == on_target.tables);
    }

    // verify writes nothing to the migration state.
    auto state_before = fs::last_write_time(pair.home.path() / "pg_migrate_state");
    auto verify_state_before = fs::last_write_time(pair.home.path() / "pg_verify_state");

    const PgServer& t = pair.target;
    auto only_typed = std::vector<std::string>{"--include-database", kTypedDb};
    struct Corruption {
        std::string name, apply, revert, expect;
        bool counts_sees_it = false;
        bool in_database = true;  // named under the database (roles are server-wide)
    };
    std::string lo = t.scalar("SELECT min(oid) FROM pg_largeobject_metadata", kTypedDb);
    std::vector<Corruption> corruptions = {
        {"one text value", "UPDATE typed SET txt = 'onE' WHERE id = 1",
         "UPDATE typed SET txt = 'one' WHERE id = 1", "public.typed: CHECKSUM MISMATCH"},
        {"one byte of a bytea",
         "UPDATE typed SET b = set_byte(b, 1, get_byte(b, 1) # 1) WHERE id = 3",
         "UPDATE typed SET b = set_byte(b, 1, get_byte(b, 1) # 1) WHERE id = 3",
         "public.typed: CHECKSUM MISMATCH"},
        {"a float8 in its last bit", "UPDATE typed SET f8 = '1.0000000000000002' WHERE id = 1",
         "UPDATE typed SET f8 = 1 WHERE id = 1", "public.typed: CHECKSUM MISMATCH"},
        {"a float4 in its last bit", "UPDATE typed SET f4 = '0.100000009' WHERE id = 1",
         "UPDATE typed SET f4 = 0.1 WHERE id = 1", "public.typed: CHECKSUM MISMATCH"},
        {"a sequence position", "SELECT setval('seq_a', 78)", "SELECT setval('seq_a', 77)",
         "sequence public.seq_a"},
        {"a large object", "SELECT lo_put(" + lo + ", 7, '\\x41')",
         "SELECT lo_put(" + lo + ", 7, '\\xff')", "large objects:"},
        {"a dropped index", "DROP INDEX typed_txt_idx", "CREATE INDEX typed_txt_idx ON typed (txt)",
         "typed_txt_idx"},
        {"a database property", "COMMENT ON DATABASE typed_db IS 'changed'",
         "COMMENT ON DATABASE typed_db IS NULL", "database \"typed_db\" comment"},
        {"a role attribute", "ALTER ROLE reader CONNECTION LIMIT 3",
         "ALTER ROLE reader CONNECTION LIMIT -1", "roles: role \"reader\"", false, false},
        {"a deleted row", "DELETE FROM typed WHERE id = 400", "", "public.typed: COUNT MISMATCH",
         true},
    };
    for (const auto& c : corruptions) {
        INFO("corruption: " << c.name);
        t.exec(c.apply, kTypedDb);
        auto checksums =
            verify_run(pair.source, pair.target, pair.home.path(), "checksums", only_typed);
        INFO(checksums.output);
        CHECK(checksums.exit_code == 1);
        if (c.in_database) CHECK(checksums.contains("database \"" + kTypedDb + "\": "));
        CHECK(checksums.contains(c.expect));
        auto counts = verify_run(pair.source, pair.target, pair.home.path(), "counts", only_typed);
        INFO(counts.output);
        CHECK(counts.exit_code == (c.counts_sees_it ? 1 : 0));
        if (!c.revert.empty()) t.exec(c.revert, kTypedDb);
    }
    CHECK(fs::last_write_time(pair.home.path() / "pg_migrate_state") == state_before);
    CHECK(fs::last_write_time(pair.home.path() / "pg_verify_state") == verify_state_before);
}

TEST_CASE("figures from a pg_dump directory equal the figures read from the server") {
    require_postgres();
    PgServer source({.name = "vfdsrc", .settings = kOddDisplaySettings});
    add_typed_data(source, source.major());
    source.exec(
        "CREATE TABLE \"we ird\n \"\"name\"\" x\" (id serial, v float8); "
        "INSERT INTO \"we ird\n \"\"name\"\" x\" (v) VALUES (0.1), (-0), ('NaN'), (0.1);",
        kTypedDb);
    auto tools = pgmigrate::process::find_client_tools(std::nullopt);
    TempDir dir("pgm-vfd");
    auto conn = source.connect(kTypedDb);
    auto shapes = verify::read_table_shapes(conn);
    REQUIRE(shapes.size() == 4);
    auto live = verify::figures_from_server(conn, shapes, verify::Level::checksums);
    REQUIRE(live.tables.size() == 4);
    CHECK(live.tables.at({"public", "typed"}).rows == 400);
    CHECK(live.sequences.size() == 4);  // seq_a, seq_unused and two serials
    REQUIRE(live.large_objects);
    CHECK(live.large_objects->count == 2);
    // The connection goes back with its own settings (a pooled one is reused for other work).
    CHECK(conn.query("SHOW TimeZone").get(0, 0) == "Asia/Kolkata");
    CHECK(conn.query("SHOW client_encoding").get(0, 0) == "UTF8");
    CHECK(conn.query("SHOW DateStyle").get(0, 0) == "SQL, DMY");

    for (const char* compression : {"0", "5"}) {
        INFO("pg_dump -Z " << compression);
        auto dump = make_dump(source, kTypedDb, dir.path() / compression, compression);
        // toc.dat read directly: every entry pg_restore --list prints, line for line (the odd
        // table name included), and no TABLE DATA or SEQUENCE SET entry it does not print.
        auto native = verify::read_toc_file(dump);
        REQUIRE(native);
        pgmigrate::process::Command list_cmd;
        list_cmd.program = tools.pg_restore.string();
        list_cmd.args = {"--list", dump.string()};
        list_cmd.label = "pg_restore";
        auto listed_out = pgmigrate::process::run(list_cmd, {});
        REQUIRE(listed_out.ok());
        auto listed = verify::parse_toc_list(listed_out.stdout_text);
        REQUIRE(listed.size() > 10);
        std::set<std::string> native_lines, listed_lines;
        for (const auto& e : *native) native_lines.insert(e.line);
        for (const auto& e : listed) listed_lines.insert(e.line);
        for (const auto& line : listed_lines) {
            INFO(line);
            CHECK(native_lines.count(line) == 1);
        }
        for (const auto& e : *native)
            if (e.is_data("TABLE DATA") || e.is_data("SEQUENCE SET"))
                CHECK(listed_lines.count(e.line) == 1);
        CHECK(std::count_if(native->begin(), native->end(), [](const verify::TocEntry& e) {
                  return e.is_data("TABLE DATA");
              }) == 4);
        auto from_dump = verify::figures_from_dump(dump, tools.pg_restore, {}, shapes,
                                                   verify::Level::checksums, 3);
        CHECK(from_dump.tables == live.tables);
        CHECK(from_dump.sequences == live.sequences);
        CHECK(from_dump.large_objects == live.large_objects);
        auto counts =
            verify::figures_from_dump(dump, tools.pg_restore, {}, shapes, verify::Level::counts);
        for (const auto& [key, f] : live.tables) CHECK(counts.tables.at(key).rows == f.rows);
    }

    // Without the pinned settings pg_dump writes timestamps in the server's time zone: the
    // digests then differ, which is why pg-migrate's children get PGOPTIONS.
    auto tools_cmd = pgmigrate::process::Command{};
    tools_cmd.program = tools.pg_dump.string();
    tools_cmd.args = {"-Fd",
                      "-Z",
                      "0",
                      "-f",
                      (dir.path() / "unpinned").string(),
                      "--dbname=" + source.endpoint().child_conninfo(kTypedDb)};
    tools_cmd.environment = source.endpoint().child_environment();
    tools_cmd.label = "pg_dump";
    pgmigrate::process::run_checked(
        tools_cmd, [](const std::string&) {}, pgmigrate::ExitCode::source);
    auto unpinned = verify::figures_from_dump(dir.path() / "unpinned", tools.pg_restore, {}, shapes,
                                              verify::Level::checksums);
    CHECK(unpinned.tables.at({"public", "typed"}) != live.tables.at({"public", "typed"}));
}

namespace {
void typed_across_majors(int source_major, int target_major) {
    auto bin = [](int major) { return major == 15 ? fs::path() : embedded_bin_dir(major); };
    PgServer source({.name = fmt::format("vt{}src", source_major),
                     .bin_dir = bin(source_major),
                     .settings = kOddDisplaySettings});
    PgServer target({.name = fmt::format("vt{}dst", target_major),
                     .bin_dir = bin(target_major),
                     .password = "Dst-Typed-Pw"});
    REQUIRE(source.major() == source_major);
    REQUIRE(target.major() == target_major);
    add_typed_data(source, source_major);
    add_float_structures(source, source_major);
    TempDir home("pgm-vtyped");
    // The run's own verification hashes the dump's files (the source server's float text).
    auto run =
        run_pg_migrate(source, target, home.path(), {.extra_args = {"--verify", "checksums"}});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(run.contains("verified: checksums + schema"));
    auto v = verify_run(source, target, home.path(), "checksums");
    INFO(v.output);
    CHECK(v.exit_code == 0);
    // typed_db, and the source's postgres and template1 carried into the target's own.
    CHECK(v.contains("verified: 3 database(s) equal (checksums + schema)"));

    // The text differs between the sides when the source is older than 12: what makes a
    // comparison by value necessary.
    auto copy_text = [](const PgServer& s, const std::string& column) {
        auto conn = s.connect(kTypedDb);
        conn.execute("SET extra_float_digits = 3");
        return conn.query("SELECT string_agg(" + column + "::text, ';' ORDER BY id) FROM floaty")
            .get(0, 0);
    };
    for (const char* column : {"fa", "c", "r", "p"}) {
        INFO("column " << column);
        if (source_major < 12)
            CHECK(copy_text(source, column) != copy_text(target, column));
        else
            CHECK(copy_text(source, column) == copy_text(target, column));
    }
    // One element, field or bound changed in its last bit on the target is found.
    auto only_typed = std::vector<std::string>{"--include-database", kTypedDb};
    for (const auto& [apply, revert] : std::vector<std::pair<std::string, std::string>>{
             {"UPDATE floaty SET fa[2] = '0.33333333333333337' WHERE id = 1",
              "UPDATE floaty SET fa[2] = '0.3333333333333333' WHERE id = 1"},
             {"UPDATE floaty SET ra[1] = '0.100000009' WHERE id = 1",
              "UPDATE floaty SET ra[1] = '0.1' WHERE id = 1"},
             {"UPDATE floaty SET c.v = '0.10000000000000002' WHERE id = 1",
              "UPDATE floaty SET c.v = '0.1' WHERE id = 1"},
             {"UPDATE floaty SET r = '[0.1,0.33333333333333337)' WHERE id = 1",
              "UPDATE floaty SET r = '[0.1,0.3333333333333333)' WHERE id = 1"},
             {"UPDATE floaty SET p = '(0.1,0)' WHERE id = 1",
              "UPDATE floaty SET p = '(0.1,-0)' WHERE id = 1"}}) {
        INFO("corruption: " << apply);
        target.exec(apply, kTypedDb);
        auto changed = verify_run(source, target, home.path(), "checksums", only_typed);
        INFO(changed.output);
        CHECK(changed.exit_code == 1);
        CHECK(changed.contains("public.floaty: CHECKSUM MISMATCH"));
        target.exec(revert, kTypedDb);
    }
    auto reverted = verify_run(source, target, home.path(), "checksums", only_typed);
    INFO(reverted.output);
    CHECK(reverted.exit_code == 0);

    // The target read directly against figures from a dump of the source.
    TempDir dir("pgm-vtyped-dump");
    auto tools = pgmigrate::process::find_client_tools(std::nullopt);
    auto dump = make_dump(source, kTypedDb, dir.path() / "d", "5");
    auto src_conn = source.connect(kTypedDb);
    auto shapes = verify::read_table_shapes(src_conn);
    auto from_dump =
        verify::figures_from_dump(dump, tools.pg_restore, {}, shapes, verify::Level::checksums);
    auto dst_conn = target.connect(kTypedDb);
    auto on_target = verify::figures_from_server(dst_conn, shapes, verify::Level::checksums);
    CHECK(from_dump.tables == on_target.tables);
    CHECK(from_dump.sequences == on_target.sequences);
    CHECK(from_dump.large_objects == on_target.large_objects);

    // The schema comparison (pg_dump text, or the catalogs when pg_dump is older than the
    // target) still sees a missing index.
    target.exec("DROP INDEX typed_txt_idx", kTypedDb);
    auto broken = verify_run(source, target, home.path(), "checksums");
    INFO(broken.output);
    CHECK(broken.exit_code == 1);
    CHECK(broken.contains("typed_txt_idx"));
}
}  // namespace

TEST_CASE("typed data 10 -> 15 verifies with no false mismatch (17-digit floats on the source)") {
    require_postgres();
    typed_across_majors(10, 15);
}

TEST_CASE("typed data 12 -> 15 verifies with no false mismatch") {
    require_postgres();
    typed_across_majors(12, 15);
}

TEST_CASE("typed data 15 -> 18 verifies with no false mismatch") {
    require_postgres();
    typed_across_majors(15, 18);
}

TEST_CASE("COPY out: a timeout or a failing row handler cancels and drains, the session lives on") {
    require_postgres();
    PgServer server({.name = "vcopy"});
    auto conn = server.connect();
    auto started = std::chrono::steady_clock::now();
    try {
        conn.copy_out(
            "COPY (SELECT g, pg_sleep(0.2) FROM generate_series(1, 100) g) TO STDOUT",
            [](std::string_view) {}, pgmigrate::pg::Seconds(1));
        FAIL("no timeout");
    } catch (const pgmigrate::pg::PgError& e) {
        CHECK(e.sqlstate() == "57014");
        CHECK(std::string(e.what()).find("timed out") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(8));
    CHECK(conn.healthy());
    CHECK(conn.query("SELECT 41 + 1").get(0, 0) == "42");

    int seen = 0;
    try {
        conn.copy_out("COPY (SELECT g FROM generate_series(1, 100000) g) TO STDOUT",
                      [&](std::string_view) {
                          if (++seen == 10) throw std::runtime_error("enough");
                      });
        FAIL("no exception");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "enough");
    }
    CHECK(conn.query("SELECT 'still usable'").get(0, 0) == "still usable");

    // An error before any row is a PgError naming the statement; the session stays usable.
    CHECK_THROWS_AS(conn.copy_out("COPY no_such_table TO STDOUT", [](std::string_view) {}),
                    pgmigrate::pg::PgError);
    int rows = 0;
    conn.copy_out("COPY (SELECT 1 UNION ALL SELECT 2) TO STDOUT", [&](std::string_view row) {
        CHECK(row.back() == '\n');
        ++rows;
    });
    CHECK(rows == 2);
}

TEST_CASE("a migration run with --verify checksums proves this run's target, and finds a change") {
    PgServer source(
        {.name = "vrunsrc", .password = "Src-Vrun-Pw", .settings = kOddDisplaySettings});
    PgServer target({.name = "vrundst", .password = "Dst-Vrun-Pw"});
    source.exec("CREATE DATABASE shop");
    add_typed_data(source, source.major());
    source.exec(
        "CREATE TABLE orders (id serial PRIMARY KEY, note text, amount float8); "
        "INSERT INTO orders (note, amount) SELECT 'n' || g, g / 7.0 FROM generate_series(1, 500) g",
        "shop");
    // A column added to a parent after its child: the restored child has the inherited columns
    // first (a, c, b instead of a, b, c), as in PostgreSQL's regression database.
    source.exec(
        "CREATE TABLE parent (a int); CREATE TABLE child (b text) INHERITS (parent); "
        "ALTER TABLE parent ADD COLUMN c float8; "
        "INSERT INTO child SELECT g, 'b' || g, g / 3.0 FROM generate_series(1, 50) g",
        "shop");
    TempDir home("pgm-vrun");
    MigrateOptions opts{.extra_args = {"--verify", "checksums"}};
    auto run = run_pg_migrate(source, target, home.path(), opts);
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(run.contains("[shop] verification (row checksums against the dump's snapshot)"));
    CHECK(run.contains("[shop] schema, database properties: equal"));
    CHECK(run.contains("verified: checksums + schema, against each dump's snapshot"));
    CHECK(target.scalar("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute "
                        "WHERE attrelid = 'child'::regclass AND attnum > 0",
                        "shop") == "a,c,b");

    // Same count, one value changed: a re-run at the counts level passes, checksums do not.
    target.exec("UPDATE orders SET note = 'changed' WHERE id = 250", "shop");
    auto counts = run_pg_migrate(source, target, home.path());
    INFO(counts.output);
    CHECK(counts.exit_code == 0);
    auto again = run_pg_migrate(source, target, home.path(), opts);
    INFO(again.output);
    CHECK(again.exit_code == 1);
    CHECK(again.contains("CHECKSUM MISMATCH"));
    CHECK(again.contains("public.orders"));
    CHECK_FALSE(again.contains("migrated and verified"));
}
