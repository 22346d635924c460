#pragma once
// --report FILE: a JSON record of a run, of `plan` or of `verify`, written atomically when the
// command ends, whatever the outcome (success, failure, Ctrl-C/SIGTERM). The format is
// "pg-migrate-report/1", documented in README.md ("Report"); tests/support/check_report.py
// validates it. Everything comes from the Config, the ProgressBoard and the log's warnings and
// errors, so task code only records into the board. No secrets: passwords are never read, and
// every message passes the log's secret masking.
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pg/endpoint.hpp"
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/pipeline/progress.hpp"
#include "pgmigrate/util/error.hpp"

namespace pgmigrate::process {
struct ClientTools;
}

namespace pgmigrate::pipeline {

inline constexpr const char* kReportFormat = "pg-migrate-report/1";

// "success", "failed" (plan: "blocked"), "interrupted", "error" (usage, source, target, local).
const char* outcome_name(Command command, ExitCode code);

class Report {
  public:
    // Starts collecting the log's warnings and errors; the clock starts now.
    explicit Report(const Config& config);
    ~Report();
    Report(const Report&) = delete;
    Report& operator=(const Report&) = delete;

    void set_server(pg::Side side, int major, const std::string& version_text);
    void set_tools(const process::ClientTools& tools);
    void set_databases(std::vector<DatabaseProgress> dbs);
    // A section owned by a command ("plan", "verify"): filled freely, written as given.
    nlohmann::json& section(const std::string& name);

    // Runs the command; on return or on an exception (recorded as an error, then rethrown) the
    // report is written when --report was given. The result is the command's exit code.
    ExitCode run(const std::function<ExitCode()>& command);

    // The document as it stands (for tests); finished with code.
    nlohmann::json to_json(ExitCode code) const;
    // Writes to_json(code) to the report file, if one was asked for. Never throws: a report that
    // cannot be written is logged as an error.
    void write(ExitCode code);

  private:
    const Config& config_;
    WallClock::time_point started_;
    mutable std::mutex mutex_;
    nlohmann::json servers_ = nlohmann::json::object();
    nlohmann::json tools_;
    std::vector<DatabaseProgress> dbs_;
    nlohmann::json sections_ = nlohmann::json::object();
    std::vector<std::string> warnings_, errors_;
    bool written_ = false;
};

// Fills a Report from a Context when it goes out of scope (also during stack unwinding), so the
// board's last state reaches the report before the Context is destroyed.
class ReportCapture {
  public:
    ReportCapture(Report& report, Context& ctx) : report_(report), ctx_(ctx) {}
    ~ReportCapture();
    ReportCapture(const ReportCapture&) = delete;
    ReportCapture& operator=(const ReportCapture&) = delete;

  private:
    Report& report_;
    Context& ctx_;
};

// ISO 8601 UTC with milliseconds: "2026-12-01T07:02:03.456Z".
std::string iso_time(WallClock::time_point t);

}  // namespace pgmigrate::pipeline
