#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "pgmigrate/pipeline/counts.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/pipeline/delay_patterns.hpp"
#include "pgmigrate/pipeline/delayed.hpp"
#include "pgmigrate/pipeline/globals.hpp"
#include "pgmigrate/pipeline/progress.hpp"
#include "pgmigrate/pipeline/state.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::pipeline;
namespace fs = std::filesystem;

TEST_CASE("globals drop the migration user's statements, by exact name, and psql meta lines") {
    std::string dump =
        "\\restrict XyZ\n"
        "SET default_transaction_read_only = off;\n"
        "CREATE ROLE postgres;\n"
        "ALTER ROLE postgres WITH SUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$x';\n"
        "CREATE ROLE postgres_reader;\n"
        "ALTER ROLE postgres_reader WITH NOSUPERUSER LOGIN;\n"
        "CREATE ROLE \"Admin \"\"Q\"\"\";\n"
        "ALTER ROLE \"Admin \"\"Q\"\"\" WITH LOGIN;\n"
        "ALTER   ROLE\n  \"postgres\" SET search_path TO 'x';\n"
        "COMMENT ON ROLE postgres IS 'the boss';\n"
        "GRANT postgres_reader TO postgres GRANTED BY postgres;\n"
        "\\unrestrict XyZ\n";
    auto plan = plan_globals(dump, "postgres");
    CHECK(plan.skipped.size() == 4);
    REQUIRE(plan.statements.size() == 6);
    CHECK(plan.statements[0] == "SET default_transaction_read_only = off");
    CHECK(plan.statements[1] == "CREATE ROLE postgres_reader");
    CHECK(plan.statements[3] == "CREATE ROLE \"Admin \"\"Q\"\"\"");
    CHECK(plan.statements[5] == "GRANT postgres_reader TO postgres GRANTED BY postgres");

    auto quoted = plan_globals(dump, "Admin \"Q\"");
    CHECK(quoted.skipped.size() == 2);
    CHECK(std::find(quoted.statements.begin(), quoted.statements.end(), "CREATE ROLE postgres") !=
          quoted.statements.end());
}

TEST_CASE("database definitions become CREATE DATABASE and property statements") {
    DatabaseDefinition d;
    d.name = "Sales \"EU\"";
    d.owner = "app owner";
    d.encoding = "LATIN1";
    d.collate = "C";
    d.ctype = "C";
    d.connection_limit = 7;
    d.comment = "it's sales";
    d.default_acl = false;
    d.grants = {{std::nullopt, "CONNECT", false}, {"app owner", "CREATE", true}};
    d.settings = {{std::nullopt, "work_mem", "64MB"},
                  {"bob", "search_path", "app, \"$user\", public"}};
    CHECK(create_database_sql(d, 15, true) ==
          "CREATE DATABASE \"Sales \"\"EU\"\"\" WITH TEMPLATE = template0 OWNER = \"app owner\" "
          "ENCODING = 'LATIN1' LC_COLLATE = 'C' LC_CTYPE = 'C' CONNECTION LIMIT = 7");
    auto props = database_property_sql(d, true);
    REQUIRE(props.size() == 7);
    CHECK(props[0] == "COMMENT ON DATABASE \"Sales \"\"EU\"\"\" IS 'it''s sales'");
    CHECK(props[1] == "REVOKE ALL ON DATABASE \"Sales \"\"EU\"\"\" FROM PUBLIC");
    CHECK(props[3] == "GRANT CONNECT ON DATABASE \"Sales \"\"EU\"\"\" TO PUBLIC");
    CHECK(props[4] ==
          "GRANT CREATE ON DATABASE \"Sales \"\"EU\"\"\" TO \"app owner\" WITH GRANT OPTION");
    CHECK(props[5] == "ALTER DATABASE \"Sales \"\"EU\"\"\" SET \"work_mem\" TO '64MB'");
    CHECK(props[6] ==
          "ALTER ROLE \"bob\" IN DATABASE \"Sales \"\"EU\"\"\" SET \"search_path\" TO "
          "'app', '$user', 'public'");

    d.provider = "i";
    d.provider_locale = "und";
    CHECK(create_database_sql(d, 15, false).find("LOCALE_PROVIDER = icu ICU_LOCALE = 'und'") !=
          std::string::npos);
    CHECK_THROWS_AS(create_database_sql(d, 14, false), pgmigrate::Error);
}

TEST_CASE("count comparison: mismatches fail, estimates warn, delayed tables are skipped") {
    TableCounts src = {{{"public", "a"}, 10},
                       {{"public", "b"}, 5},
                       {{"public", "big"}, 100},
                       {{"public", "gone"}, 1}};
    TableCounts dst = {{{"public", "a"}, 10}, {{"public", "b"}, 4}, {{"public", "big"}, 0}};
    auto r = compare_counts(src, dst, {{"public", "big"}}, {});
    CHECK(r.failures == 2);  // b mismatch, gone missing
    CHECK(r.rows_verified == 10);
    CHECK_FALSE(r.ok());
    auto text = render_verify_report(r);
    CHECK(text.find("MISMATCH") != std::string::npos);
    CHECK(text.find("MISSING ON TARGET") != std::string::npos);
    CHECK(text.find("public.big") == std::string::npos);

    auto fast = compare_counts(src, dst, {{"public", "big"}}, {{"public", "b"}});
    CHECK(fast.failures == 1);
    CHECK(fast.warnings == 1);
}

TEST_CASE("count caches round-trip and reject foreign content") {
    TableCounts c = {{{"s", "t"}, 3}};
    auto doc = counts_to_json("db", "exact", c);
    CHECK(counts_from_json(doc, "db", "f") == c);
    CHECK_THROWS_WITH(counts_from_json(doc, "other", "f.json"), Catch::Contains("f.json"));
    doc["tables"][0]["rows"] = "many";
    CHECK_THROWS_AS(counts_from_json(doc, "db", "f"), pgmigrate::Error);
}

TEST_CASE("state markers and JSON files are atomic and validated") {
    fs::path home = fs::temp_directory_path() / ("pgm-unit-" + std::to_string(::getpid()));
    fs::remove_all(home);
    StateStore st(home, home / "dumps");
    st.prepare();
    CHECK_FALSE(st.has("my db", Step::dumped));
    StepInputs in;
    in.source = {"7001", "a:5432"};
    in.target = {"7002", "b:5432"};
    st.write_marker("my db", Step::dumped, make_marker("my db", Step::dumped, in, {}));
    CHECK(st.has("my db", Step::dumped));
    CHECK(fs::exists(home / "pg_migrate_state" / "my%20db.dumped"));
    CHECK(st.read_markers("my db").count(Step::dumped) == 1);
    // A marker of another database (or from an older release) is refused by name.
    fs::copy_file(st.marker_path("my db", Step::dumped), st.marker_path("other", Step::dumped));
    CHECK_THROWS_WITH(st.read_marker("other", Step::dumped), Catch::Contains("--restart-database"));
    st.clear_marker("my db", Step::dumped);
    CHECK_FALSE(st.has("my db", Step::dumped));
    CHECK(st.dump_dir("my db") == home / "dumps" / "my%20db");

    auto file = st.source_figures_file("db", false);
    CHECK(file == home / "pg_verify_state" / "db.source_figures.json");
    CHECK_FALSE(st.read_json(file, "fmt/1").has_value());
    st.write_json(file, "fmt/1", {{"x", 1}});
    CHECK((*st.read_json(file, "fmt/1"))["x"] == 1);
    CHECK_THROWS_WITH(st.read_json(file, "other/1"), Catch::Contains(file.string()));
    std::ofstream(file) << "{ not json";
    CHECK_THROWS_WITH(st.read_json(file, "fmt/1"), Catch::Contains("corrupt"));
    for (auto& e : fs::directory_iterator(home / "pg_verify_state"))
        CHECK(e.path().filename().string().find(".tmp") == std::string::npos);

    {
        RunLock lock(st.lock_file());
        CHECK_THROWS_WITH(RunLock(st.lock_file()), Catch::Contains(std::to_string(::getpid())));
    }
    RunLock again(st.lock_file());  // released with the first
    fs::remove_all(home);
}

TEST_CASE("the summary table lists every database with phase, rows and status") {
    DatabaseProgress a;
    a.name = "alpha";
    a.size_bytes = 2048;
    a.phase = Phase::complete;
    a.rows_verified = 1234;
    a.dump_time = std::chrono::milliseconds(1500);
    DatabaseProgress b;
    b.name = "beta";
    b.phase = Phase::failed;
    b.last_active = Phase::restoring;
    std::string s = render_summary({a, b});
    CHECK(s.find("alpha") != std::string::npos);
    CHECK(s.find("1234") != std::string::npos);
    CHECK(s.find("1.5s") != std::string::npos);
    CHECK(s.find("restoring") != std::string::npos);
    CHECK(s.find("FAILED") != std::string::npos);
}

TEST_CASE("foreign keys to delayed tables are commented out of pg_restore's list by oid") {
    std::string list =
        ";\n; Archive created at 2026-11-29\n"
        "215; 1259 16390 TABLE public small postgres\n"
        "3290; 2606 16420 FK CONSTRAINT public small small_big_id_fkey postgres\n"
        "3291; 2606 16421 FK CONSTRAINT public \"odd name\" fk x postgres\n"
        "3292; 2606 16422 FK CONSTRAINT public other other_fk postgres\n";
    std::vector<DeferredForeignKey> keys = {
        {"16420", "public", "small", "small_big_id_fkey", "", true},
        {"16421", "public", "odd name", "fk x", "", true}};
    auto out = exclude_from_restore_list(list, keys);
    CHECK(out.find(";3290; 2606 16420 FK CONSTRAINT") != std::string::npos);
    CHECK(out.find(";3291; 2606 16421 FK CONSTRAINT") != std::string::npos);
    CHECK(out.find("\n3292; 2606 16422 FK CONSTRAINT") != std::string::npos);
    CHECK(out.find("\n215; 1259 16390 TABLE") != std::string::npos);
}
