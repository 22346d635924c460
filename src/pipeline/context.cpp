#include "pgmigrate/pipeline/context.hpp"

#include <spdlog/spdlog.h>

#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {

Context::Context(Config opts, process::ClientTools client_tools)
    : options(std::move(opts)),
      tools(std::move(client_tools)),
      state(options.state_home, options.dump_root),
      delay_plan(options.delay_table_data),
      dump_slots(options.dump_parallel),
      restore_slots(options.restore_parallel),
      count_slots(options.verify_concurrency) {}

process::Command Context::tool_command(const std::filesystem::path& program,
                                       const pg::Endpoint& side, const std::string& db,
                                       std::vector<std::string> args) const {
    process::Command cmd;
    cmd.program = program.string();
    cmd.args = std::move(args);
    cmd.environment = side.child_environment();
    cmd.label =
        db.empty() ? program.filename().string() : program.filename().string() + " [" + db + "]";
    return cmd;
}

process::LineSink Context::stderr_logger(const std::string& label) const {
    return [label](const std::string& line) {
        std::string lower = util::to_lower(line);
        if (lower.find("error") != std::string::npos || lower.find("fatal") != std::string::npos ||
            lower.find("warning") != std::string::npos)
            spdlog::warn("{}: {}", label, line);
        else
            spdlog::debug("{}: {}", label, line);
    };
}

StepInputs Context::inputs(const std::string& source_db_oid) const {
    StepInputs in;
    in.source = source_identity;
    in.target = target_identity;
    in.source_db_oid = source_db_oid;
    in.pg_dump_major = tools.version.major;
    in.compression = compression_argument;
    return in;
}

pg::Connection Context::snapshot_connection(const std::string& db) {
    return pg::connect_with_retry(options.from, db);
}

SlotGuard::SlotGuard(std::counting_semaphore<>& sem) : sem_(sem) {
    // Timed, not acquire(): cancellation is polled, and a wakeup lost by GCC PR 98033 is retried.
    while (!sem_.try_acquire_for(std::chrono::milliseconds(200))) cancel::throw_if_requested();
    held_ = true;
}

}  // namespace pgmigrate::pipeline
