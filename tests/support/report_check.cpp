#include "report_check.hpp"

#include <catch2/catch.hpp>
#include <fstream>

#include "pgmigrate/process/child.hpp"

namespace pgtest {

nlohmann::json check_report(const std::filesystem::path& path, const std::string& outcome,
                            int exit_code) {
    REQUIRE(std::filesystem::exists(path));
    pgmigrate::process::Command cmd;
    cmd.program = "/usr/bin/python3";
    cmd.args = {std::string(PGMIGRATE_SOURCE_DIR) + "/tests/support/check_report.py",
                path.string(),
                "--outcome",
                outcome,
                "--exit-code",
                std::to_string(exit_code)};
    cmd.label = "check_report.py";
    std::string problems;
    auto out = pgmigrate::process::run(cmd, [&](const std::string& l) { problems += l + "\n"; });
    INFO("check_report.py " << path.string() << ":\n" << problems);
    CHECK(out.exit_code == 0);
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

}  // namespace pgtest
