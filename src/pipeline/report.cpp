#include "pgmigrate/pipeline/report.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/process/pg_tools.hpp"
#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/log.hpp"
#include "pgmigrate/util/secrets.hpp"

namespace pgmigrate::pipeline {
namespace {

using nlohmann::json;

constexpr size_t kMaxMessages = 1000;  // a report stays readable even when a run logs in a loop

const char* command_name(Command c) {
    switch (c) {
        case Command::migrate:
            return "migrate";
        case Command::plan:
            return "plan";
        case Command::verify:
            return "verify";
    }
    return "?";
}

json endpoint_json(const pg::Endpoint& ep) {
    json options = json::object();
    for (const auto& [k, v] : ep.options)
        if (k.find("pass") == std::string::npos) options[k] = v;  // sslpassword is a secret
    return {{"host", ep.host},
            {"port", ep.port},
            {"user", ep.user},
            {"dbname", ep.dbname},
            {"password_given", ep.password.has_value()},
            {"connection_options", options}};
}

json options_json(const Config& c) {
    json o = {
        {"from", endpoint_json(c.from)},
        {"to", endpoint_json(c.to)},
        {"dump_jobs", c.dump_jobs},
        {"restore_jobs", c.restore_jobs},
        {"max_parallel", c.max_parallel},
        {"dump_parallel", c.dump_parallel},
        {"restore_parallel", c.restore_parallel},
        {"verify_concurrency", c.verify_concurrency},
        {"dump_root", c.dump_root.string()},
        {"state_home", c.state_home.string()},
        {"migrate_globals", c.migrate_globals},
        {"disable_dst_optimizations", c.disable_dst_optimizations},
        {"fast_verify", c.fast_verify},
        {"verify", verify_level_name(c.verify_level)},
        {"analyze", c.analyze},
        {"delay_table_data", c.delay_table_data},
        {"include_database", c.include_databases},
        {"exclude_database", c.exclude_databases},
        {"restart_database", c.restart_databases},
        {"reset_state", c.reset_state},
        {"compress", c.compress ? json(process::to_string(*c.compress)) : json(nullptr)},
        {"pg_bin_dir", c.pg_bin_dir ? json(c.pg_bin_dir->string()) : json(nullptr)},
        {"wait_for_servers_seconds", c.wait_for_servers.count()},
    };
    return o;
}

double seconds(std::chrono::milliseconds d) {
    return static_cast<double>(d.count()) / 1000.0;
}

json database_json(const DatabaseProgress& p) {
    json steps = json::array();
    for (const auto& s : p.steps) {
        json step = {{"step", phase_name(s.phase)}, {"started", iso_time(s.started)}};
        if (s.ended) {
            step["ended"] = iso_time(*s.ended);
            step["seconds"] = seconds(
                std::chrono::duration_cast<std::chrono::milliseconds>(*s.ended - s.started));
        } else {
            step["ended"] = nullptr;
            step["seconds"] = nullptr;
        }
        steps.push_back(std::move(step));
    }
    json tables = json::array();
    for (const auto& t : p.tables)
        tables.push_back({{"schema", t.schema},
                          {"table", t.name},
                          {"source_rows", t.source ? json(*t.source) : json(nullptr)},
                          {"target_rows", t.target ? json(*t.target) : json(nullptr)},
                          {"exact", t.exact},
                          {"delayed", t.delayed},
                          {"status", t.status}});
    auto optional_bool = [](const std::optional<bool>& b) { return b ? json(*b) : json(nullptr); };
    std::string status = p.phase == Phase::complete      ? (p.skipped ? "already_done" : "complete")
                         : p.phase == Phase::failed      ? "failed"
                         : p.phase == Phase::interrupted ? "interrupted"
                                                         : "not_finished";
    return {{"name", p.name},
            {"placement", placement_name(p.placement)},
            {"size_bytes", p.size_bytes},
            {"status", status},
            {"phase_reached", p.phase == Phase::complete ? "complete" : phase_name(p.last_active)},
            {"steps", steps},
            {"durations_seconds",
             {{"dump", seconds(p.dump_time)},
              {"restore", seconds(p.restore_time)},
              {"verify", seconds(p.verify_time)},
              {"delayed", seconds(p.delayed_time)}}},
            {"bytes",
             {{"dump_expected", p.dump_bytes_expected},
              {"dumped", p.bytes_dumped},
              {"restored", p.bytes_restored}}},
            {"verification",
             {{"level", nullptr},  // filled by the caller from the config
              {"regular_ok", optional_bool(p.verified)},
              {"delayed_ok", optional_bool(p.delayed_verified)},
              {"rows_verified", p.rows_verified},
              {"tables", tables}}},
            {"warnings", p.warnings},
            {"error", p.error.empty() ? json(nullptr) : json(p.error)}};
}

}  // namespace

const char* outcome_name(Command command, ExitCode code) {
    switch (code) {
        case ExitCode::ok:
            return "success";
        case ExitCode::migration_failed:
            return command == Command::plan ? "blocked" : "failed";
        case ExitCode::interrupted:
        case ExitCode::terminated:
            return "interrupted";
        default:
            return "error";
    }
}

std::string iso_time(WallClock::time_point t) {
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03d}Z", fmt::gmtime(WallClock::to_time_t(t)),
                       static_cast<int>(ms));
}

Report::Report(const Config& config) : config_(config), started_(WallClock::now()) {
    util::set_message_observer([this](spdlog::level::level_enum level, const std::string& text) {
        std::lock_guard lock(mutex_);
        auto& list = level >= spdlog::level::err ? errors_ : warnings_;
        if (list.size() < kMaxMessages) list.push_back(text);
    });
}

Report::~Report() {
    util::set_message_observer({});
}

void Report::set_server(pg::Side side, int major, const std::string& version_text) {
    std::lock_guard lock(mutex_);
    servers_[pg::side_name(side)] = {
        {"major", major}, {"version", version_text.empty() ? json(nullptr) : json(version_text)}};
}

void Report::set_tools(const process::ClientTools& tools) {
    std::lock_guard lock(mutex_);
    tools_ = {{"dir", tools.dir.string()},
              {"pg_dump", tools.pg_dump.string()},
              {"pg_restore", tools.pg_restore.string()},
              {"pg_dumpall", tools.pg_dumpall.string()},
              {"version", tools.version.text}};
}

void Report::set_databases(std::vector<DatabaseProgress> dbs) {
    std::lock_guard lock(mutex_);
    dbs_ = std::move(dbs);
}

nlohmann::json& Report::section(const std::string& name) {
    std::lock_guard lock(mutex_);
    return sections_[name];
}

nlohmann::json Report::to_json(ExitCode code) const {
    std::lock_guard lock(mutex_);
    auto ended = WallClock::now();
    json databases = json::array(), skipped = json::array();
    std::uint64_t expected = 0, done = 0, dumped = 0, restored = 0;
    int complete = 0, failed = 0;
    for (const auto& p : dbs_) {
        if (p.skip_reason) {
            skipped.push_back({{"name", p.name},
                               {"size_bytes", p.size_bytes},
                               {"placement", placement_name(p.placement)},
                               {"reason", *p.skip_reason}});
            continue;
        }
        json d = database_json(p);
        d["verification"]["level"] =
            config_.fast_verify ? "fast" : verify_level_name(config_.verify_level);
        databases.push_back(std::move(d));
        expected += p.size_bytes;
        done += p.bytes_done();
        dumped += p.bytes_dumped;
        restored += p.bytes_restored;
        if (p.phase == Phase::complete) ++complete;
        if (p.phase == Phase::failed) ++failed;
    }
    json doc = {
        {"format", kReportFormat},
        {"command", command_name(config_.command)},
        {"pg_migrate_version", PGMIGRATE_VERSION},
        {"started", iso_time(started_)},
        {"ended", iso_time(ended)},
        {"duration_seconds",
         seconds(std::chrono::duration_cast<std::chrono::milliseconds>(ended - started_))},
        {"outcome", outcome_name(config_.command, code)},
        {"exit_code", static_cast<int>(code)},
        {"signal", cancel::signal_number() ? json(cancel::signal_number()) : json(nullptr)},
        {"servers", servers_},
        {"client_tools", tools_.is_null() ? json(nullptr) : tools_},
        {"options", options_json(config_)},
        {"totals",
         {{"databases", databases.size()},
          {"complete", complete},
          {"failed", failed},
          {"not_migrated", skipped.size()},
          {"size_bytes", expected},
          {"bytes_done", done},
          {"bytes_dumped", dumped},
          {"bytes_restored", restored}}},
        {"databases", databases},
        {"skipped_databases", skipped},
        {"warnings", warnings_},
        {"errors", errors_},
    };
    for (const auto& [name, value] : sections_.items()) doc[name] = value;
    return doc;
}

void Report::write(ExitCode code) {
    if (written_ || !config_.report_file) return;
    written_ = true;
    try {
        util::write_file_atomic(*config_.report_file, to_json(code).dump(2) + "\n");
        spdlog::info("report written to {}", config_.report_file->string());
    } catch (const std::exception& e) {
        spdlog::error("cannot write the report {}: {}", config_.report_file->string(), e.what());
    }
}

ExitCode Report::run(const std::function<ExitCode()>& command) {
    auto signal_code = [] {
        return cancel::signal_number() == SIGTERM ? ExitCode::terminated : ExitCode::interrupted;
    };
    try {
        ExitCode code = command();
        write(code);
        return code;
    } catch (const Cancelled&) {
        {
            std::lock_guard lock(mutex_);
            errors_.push_back("interrupted by a signal before the work finished");
        }
        write(signal_code());
        throw;
    } catch (const Error& e) {
        // The message reaches the log (and so errors_) only in main, after this write.
        {
            std::lock_guard lock(mutex_);
            errors_.push_back(util::mask_secrets(e.what()));
        }
        write(cancel::requested() ? signal_code() : e.code());
        throw;
    } catch (const std::exception& e) {
        {
            std::lock_guard lock(mutex_);
            errors_.push_back(util::mask_secrets(std::string("internal error: ") + e.what()));
        }
        write(ExitCode::migration_failed);
        throw;
    }
}

ReportCapture::~ReportCapture() {
    try {
        report_.set_databases(ctx_.progress.snapshot());
        report_.set_tools(ctx_.tools);
        if (ctx_.source_major)
            report_.set_server(pg::Side::source, ctx_.source_major, ctx_.source_version);
        if (ctx_.target_major)
            report_.set_server(pg::Side::target, ctx_.target_major, ctx_.target_version);
    } catch (...) {
        // Only memory can fail here; the report then lacks the databases, the run goes on.
    }
}

}  // namespace pgmigrate::pipeline
