#include "scenario.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>

#include "pgmigrate/pg/quote.hpp"

namespace pgtest {
using pgmigrate::pg::quote_ident;

std::vector<std::string> scenario_databases() {
    return {"plain_db", kAwkwardDb, "owned_db", "latin_db"};
}

namespace {
void add_tables(const PgServer& s, const std::string& db, int rows) {
    s.exec(fmt::format(R"SQL(
CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());
CREATE INDEX items_name_idx ON items (name);
INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, {0}) g;
CREATE TABLE "Mixed Case" (k int PRIMARY KEY, v text);
INSERT INTO "Mixed Case" SELECT g, md5(g::text) FROM generate_series(1, {0} / 4) g;
CREATE SCHEMA s1;
CREATE TABLE s1.events (id bigserial PRIMARY KEY, item_id int REFERENCES items(id), payload jsonb);
INSERT INTO s1.events (item_id, payload) SELECT (g % {0}) + 1, jsonb_build_object('n', g)
  FROM generate_series(1, {0}) g;
CREATE VIEW s1.recent AS SELECT * FROM s1.events WHERE id > 10;
CREATE TABLE empty_table (x int);
)SQL",
                       rows),
           db);
}
}  // namespace

void fill_source(PgServer& s, int rows) {
    s.exec(R"SQL(
CREATE ROLE app_owner LOGIN PASSWORD 'Owner-Pw-31';
CREATE ROLE reader NOLOGIN;
CREATE ROLE "Weird ""Role"" ü" LOGIN PASSWORD 'Weird-Pw-77';
CREATE ROLE postgres_helper NOLOGIN;
GRANT reader TO app_owner;
COMMENT ON ROLE reader IS 'read-only people';
)SQL");
    // The migration must not bring the source's postgres password along to the target.
    s.change_password("Source-Only-Pw");
    s.exec("CREATE DATABASE plain_db");
    s.exec("CREATE DATABASE " + quote_ident(kAwkwardDb));
    s.exec("CREATE DATABASE owned_db OWNER app_owner");
    s.exec(
        "CREATE DATABASE latin_db TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' "
        "LC_CTYPE 'C' CONNECTION LIMIT 5");
    s.exec(R"SQL(
COMMENT ON DATABASE latin_db IS 'Latin-1 data, it''s old';
REVOKE ALL ON DATABASE latin_db FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE latin_db TO reader;
GRANT CREATE ON DATABASE latin_db TO app_owner WITH GRANT OPTION;
ALTER DATABASE latin_db SET work_mem = '12MB';
ALTER DATABASE latin_db SET search_path = app, "$user", public;
ALTER ROLE reader IN DATABASE latin_db SET statement_timeout = '5s';
)SQL");
    add_tables(s, "plain_db", rows);
    add_tables(s, kAwkwardDb, rows / 2);
    s.exec(
        "SET ROLE app_owner; CREATE TABLE owned (id int PRIMARY KEY, t text); "
        "INSERT INTO owned SELECT g, 'x' FROM generate_series(1, 500) g;",
        "owned_db");
    s.exec(
        "CREATE TABLE latin (id int PRIMARY KEY, t text); "
        "INSERT INTO latin SELECT g, 'caf' || chr(233) FROM generate_series(1, 300) g; "
        "GRANT SELECT ON latin TO reader;",
        "latin_db");
}

std::string table_counts(const PgServer& server, const std::string& db) {
    auto tables = server.rows(
        "SELECT quote_ident(schemaname) || '.' || quote_ident(relname) FROM pg_stat_user_tables "
        "ORDER BY 1",
        db);
    std::string out;
    for (const auto& t : tables)
        out += t[0] + "=" + server.scalar("SELECT count(*) FROM " + t[0], db) + "\n";
    return out;
}

std::string table_indexes(const PgServer& server, const std::string& db) {
    std::string out;
    for (const auto& r : server.rows("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname "
                                     "NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
                                     db))
        out += r[0] + ": " + r[1] + "\n";
    return out;
}

std::string target_settings(const PgServer& server) {
    std::string out;
    for (const auto& r :
         server.rows("SELECT name, setting FROM pg_settings WHERE name IN ('fsync', "
                     "'synchronous_commit', 'full_page_writes', 'maintenance_work_mem', "
                     "'checkpoint_completion_target') ORDER BY name"))
        out += r[0] + "=" + r[1] + "\n";
    for (const auto& r :
         server.rows("SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE "
                     "'%postgresql.auto.conf' ORDER BY name"))
        out += "auto:" + r[0] + "=" + r[1] + "\n";
    return out;
}

void ScenarioPair::expect_complete_rerun(const std::vector<std::string>& args) {
    auto run = run_pg_migrate(source, target, home.path(), {.extra_args = args});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    for (const auto& db : scenario_databases()) {
        INFO("database " << db);
        CHECK(table_counts(source, db) == table_counts(target, db));
    }
}

TmpfsMount::TmpfsMount(const std::filesystem::path& where, const std::string& options)
    : where_(where) {
    std::filesystem::create_directories(where_);
    std::string cmd =
        "mount -t tmpfs -o " + options + " tmpfs '" + where_.string() + "' 2>/dev/null";
    mounted_ = std::system(cmd.c_str()) == 0;
    if (!mounted_) WARN("cannot mount a tmpfs at " << where_ << " (not root?); case not exercised");
}

TmpfsMount::~TmpfsMount() {
    if (!mounted_) return;
    if (std::system(("umount '" + where_.string() + "'").c_str()) != 0)
        std::fprintf(stderr, "could not unmount %s\n", where_.c_str());
}

}  // namespace pgtest
