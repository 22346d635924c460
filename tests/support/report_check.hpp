#pragma once
// Every report a test makes pg-migrate write goes through tests/support/check_report.py, the
// validator of format pg-migrate-report/1 (README "Report").
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace pgtest {

// Fails the test with the validator's messages unless the report at path is valid and has
// this outcome and exit code. Returns the parsed document for further checks.
nlohmann::json check_report(const std::filesystem::path& path, const std::string& outcome,
                            int exit_code);

}  // namespace pgtest
