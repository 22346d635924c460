#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/database_filter.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/pipeline/estimates.hpp"
#include "pgmigrate/pipeline/progress.hpp"
#include "pgmigrate/pipeline/report.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::pipeline;

namespace {
bool match(const std::string& pattern, const std::string& name) {
    return DatabasePattern(pattern, "--exclude-database").matches(name);
}
}  // namespace

TEST_CASE("database patterns follow psql rules: unquoted folds to lower case, * and ? globs") {
    CHECK(match("app", "app"));
    CHECK(match("APP", "app"));  // folded
    CHECK_FALSE(match("APP", "APP"));
    CHECK_FALSE(match("app", "app2"));
    CHECK(match("app*", "app"));
    CHECK(match("app*", "app_2024"));
    CHECK(match("*_test", "billing_test"));
    CHECK_FALSE(match("*_test", "billing_test2"));
    CHECK(match("a?c", "abc"));
    CHECK_FALSE(match("a?c", "ac"));
    CHECK(match("*", "anything"));
    CHECK(match("a*b*c", "axxbyyc"));
    CHECK_FALSE(match("a*b*c", "axxbyy"));
    CHECK(match("[0-9]", "[0-9]"));  // no regular expressions: literal
    CHECK_FALSE(match("[0-9]", "5"));
}

TEST_CASE("double quotes keep case and make * and ? literal; \"\" is one quote") {
    CHECK(match("\"App\"", "App"));
    CHECK_FALSE(match("\"App\"", "app"));
    CHECK(match("\"a*\"", "a*"));
    CHECK_FALSE(match("\"a*\"", "ab"));
    CHECK(match("\"a?\"", "a?"));
    CHECK_FALSE(match("\"a?\"", "ab"));
    CHECK(match("\"My\"DB*", "Mydb_x"));  // quoted part exact, the rest folded and globbed
    CHECK_FALSE(match("\"My\"DB*", "MyDB_x"));
    CHECK(match("\"say \"\"hi\"\"\"", "say \"hi\""));
    CHECK(match("\"a.b\"", "a.b"));
}

TEST_CASE("malformed database patterns are usage errors naming the flag") {
    auto code_of = [](const std::string& text) {
        try {
            DatabasePattern p(text, "--include-database");
        } catch (const pgmigrate::Error& e) {
            CHECK(std::string(e.what()).find("--include-database") != std::string::npos);
            return e.code();
        }
        return pgmigrate::ExitCode::ok;
    };
    CHECK(code_of("\"open") == pgmigrate::ExitCode::usage);
    CHECK(code_of("a.b") == pgmigrate::ExitCode::usage);  // pg_dumpall: too many dotted names
    CHECK(code_of("") == pgmigrate::ExitCode::usage);
    CHECK(database_pattern_error("ok*", "--exclude-database") == std::nullopt);
    CHECK(database_pattern_error("x.y", "--exclude-database").has_value());
}

TEST_CASE("include and exclude are repeatable and exclude wins") {
    DatabaseFilter all;
    CHECK(all.rejection("anything") == std::nullopt);

    DatabaseFilter f({"app*", "billing"}, {"app_old*"});
    CHECK(f.rejection("app") == std::nullopt);
    CHECK(f.rejection("billing") == std::nullopt);
    CHECK(f.rejection("app_old_2019") ==
          std::optional<std::string>("excluded by --exclude-database 'app_old*'"));
    CHECK(f.rejection("crm") ==
          std::optional<std::string>("not matched by any --include-database"));

    DatabaseFilter both({"app"}, {"app"});
    CHECK(both.rejection("app").has_value());
}

TEST_CASE("discovery decides every database: templates, datallowconn, filters, postgres") {
    std::vector<DatabaseRow> rows = {
        {"big", 900, false, true},    {"template0", 7, true, false},  {"template1", 8, true, true},
        {"postgres", 8, false, true}, {"tmpl_custom", 9, true, true}, {"locked", 10, false, false},
        {"app_old", 11, false, true}, {"small", 5, false, true},
    };
    auto dbs = decide_databases(rows, DatabaseFilter({}, {"app_old"}));
    REQUIRE(dbs.size() == rows.size());
    std::vector<std::string> order;
    for (const auto& d : dbs) order.push_back(d.name);
    CHECK(order == std::vector<std::string>{"small", "template0", "postgres", "template1",
                                            "tmpl_custom", "locked", "app_old", "big"});
    auto by_name = [&](const std::string& n) {
        for (const auto& d : dbs)
            if (d.name == n) return d;
        FAIL("no " << n);
        return SourceDatabase{};
    };
    CHECK(by_name("small").migrated());
    CHECK(by_name("small").placement == Placement::create);
    CHECK(by_name("big").migrated());
    CHECK(by_name("postgres").migrated());
    CHECK(by_name("postgres").placement == Placement::existing);
    CHECK(by_name("template1").migrated());
    CHECK(by_name("template1").placement == Placement::existing);
    CHECK(by_name("template0").skip_reason.has_value());
    CHECK(by_name("tmpl_custom").skip_reason->find("template") != std::string::npos);
    CHECK(by_name("locked").skip_reason->find("datallowconn") != std::string::npos);
    CHECK(by_name("app_old").skip_reason->find("--exclude-database") != std::string::npos);

    auto only = decide_databases(rows, DatabaseFilter({"big"}, {}));
    for (const auto& d : only) CHECK(d.migrated() == (d.name == "big"));
}

TEST_CASE("progress counts bytes done as half dump, half restore, and gives an ETA") {
    ProgressBoard board;
    SourceDatabase a;
    a.name = "a";
    a.size_bytes = 1000;
    SourceDatabase skipped;
    skipped.name = "template0";
    skipped.size_bytes = 5;
    skipped.skip_reason = "never";
    board.add(a, {}, 500);
    board.add(skipped);
    board.enter("a", Phase::dumping);
    CHECK(board.snapshot()[0].bytes_done() == 0);
    board.enter("a", Phase::source_counts);  // dump finished
    CHECK(board.snapshot()[0].bytes_done() == 500);
    board.enter("a", Phase::restoring);
    board.record_target_sizes({{"a", 500}});
    CHECK(board.snapshot()[0].bytes_done() == 750);
    board.enter("a", Phase::complete);
    CHECK(board.snapshot()[0].bytes_done() == 1000);
    auto steps = board.snapshot()[0].steps;
    REQUIRE(steps.size() == 3);
    CHECK(steps[0].phase == Phase::dumping);
    CHECK(steps[2].ended.has_value());
    CHECK(board.status_line().find("1/1 databases finished, 1000 B of 1000 B done") !=
          std::string::npos);
    CHECK(render_summary(board.snapshot()).find("never") != std::string::npos);

    using namespace std::chrono_literals;
    CHECK(eta(0, 100, 60s).count() == -1);
    CHECK(eta(50, 100, 5s).count() == -1);  // too early to say
    CHECK(eta(25, 100, 30s).count() == 90);
    CHECK(estimated_duration({}, 2).count() == 0);
    CHECK(estimated_duration({0, 0, 0, 0}, 2).count() == 2);
    CHECK(estimated_dump_bytes(1000, "none") == 700);
    CHECK(estimated_dump_bytes(1000, "zstd") == 250);
}

TEST_CASE("a report built from the board passes check_report.py and holds no password") {
    Config config;
    config.from.password = "Unit-Secret-1";
    config.to.options["sslpassword"] = "Unit-Secret-2";
    config.state_home = "/nonexistent";
    config.dump_root = "/nonexistent/pg_dumps";
    auto dir = std::filesystem::temp_directory_path() / "pgm-unit-report";
    std::filesystem::create_directories(dir);
    config.report_file = dir / "report.json";

    ProgressBoard board;
    SourceDatabase a;
    a.name = "a";
    a.size_bytes = 1000;
    SourceDatabase t0;
    t0.name = "template0";
    t0.skip_reason = "template0 never changes; the target has its own";
    board.add(a, {}, 700);
    board.add(t0);
    board.enter("a", Phase::dumping);
    board.enter("a", Phase::failed);
    board.update("a", [](DatabaseProgress& p) { p.error = "pg_dump failed"; });

    Report report(config);
    report.set_server(pgmigrate::pg::Side::source, 15, "15.18");
    report.set_databases(board.snapshot());
    auto code = report.run([] { return pgmigrate::ExitCode::migration_failed; });
    CHECK(code == pgmigrate::ExitCode::migration_failed);
    auto text = pgmigrate::util::read_file(*config.report_file);
    REQUIRE(text);
    CHECK(text->find("Unit-Secret") == std::string::npos);
    auto doc = nlohmann::json::parse(*text);
    CHECK(doc["format"] == "pg-migrate-report/1");
    CHECK(doc["outcome"] == "failed");
    CHECK(doc["databases"][0]["steps"].size() == 1);
    CHECK(doc["skipped_databases"][0]["name"] == "template0");

    pgmigrate::process::Command cmd;
    cmd.program = "/usr/bin/python3";
    cmd.args = {std::string(PGMIGRATE_SOURCE_DIR) + "/tests/support/check_report.py",
                config.report_file->string(),
                "--outcome",
                "failed",
                "--exit-code",
                "1"};
    std::string problems;
    auto out = pgmigrate::process::run(cmd, [&](const std::string& l) { problems += l + "\n"; });
    INFO(problems);
    CHECK(out.exit_code == 0);
    std::filesystem::remove_all(dir);
}
