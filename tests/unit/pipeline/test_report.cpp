#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "pgmigrate/pipeline/progress.hpp"
#include "pgmigrate/pipeline/report.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/atomic_file.hpp"

using namespace pgmigrate::pipeline;

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
