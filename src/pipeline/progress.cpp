#include "pgmigrate/pipeline/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {

const char* phase_name(Phase phase) {
    switch (phase) {
        case Phase::waiting:
            return "waiting";
        case Phase::dumping:
            return "dumping";
        case Phase::source_counts:
            return "source counts";
        case Phase::waiting_restore:
            return "waiting to restore";
        case Phase::restoring:
            return "restoring";
        case Phase::dest_counts:
            return "dest counts";
        case Phase::verifying:
            return "verifying";
        case Phase::delayed_dumping:
            return "delayed dumping";
        case Phase::dropping_indexes:
            return "dropping indexes";
        case Phase::delayed_restoring:
            return "delayed restoring";
        case Phase::recreating_indexes:
            return "recreating indexes";
        case Phase::delayed_verifying:
            return "delayed verifying";
        case Phase::complete:
            return "complete";
        case Phase::failed:
            return "FAILED";
        case Phase::interrupted:
            return "interrupted";
    }
    return "?";
}

namespace {
bool is_final(Phase p) {
    return p == Phase::complete || p == Phase::failed || p == Phase::interrupted;
}
std::chrono::milliseconds since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t);
}
}  // namespace

void ProgressBoard::add(const std::string& name, std::uint64_t size_bytes) {
    std::lock_guard lock(mutex_);
    DatabaseProgress p;
    p.name = name;
    p.size_bytes = size_bytes;
    p.phase_started = Clock::now();
    dbs_.push_back(std::move(p));
}

DatabaseProgress& ProgressBoard::find(const std::string& name) {
    for (auto& p : dbs_)
        if (p.name == name) return p;
    throw std::logic_error("unknown database in progress board: " + name);
}

void ProgressBoard::enter(const std::string& name, Phase phase) {
    {
        std::lock_guard lock(mutex_);
        auto& p = find(name);
        if (!is_final(p.phase) && p.phase != Phase::waiting && p.phase != Phase::waiting_restore)
            p.last_active = p.phase;
        if (!is_final(phase) && phase != Phase::waiting_restore) p.last_active = phase;
        p.phase = phase;
        p.phase_started = Clock::now();
        if (!p.started) p.started = Clock::now();
    }
    if (phase == Phase::waiting_restore) return;
    if (phase == Phase::failed)
        return;  // the failure itself is logged with its reason by the caller
    spdlog::info("[{}] {}", name, phase_name(phase));
}

std::vector<DatabaseProgress> ProgressBoard::snapshot() const {
    std::lock_guard lock(mutex_);
    return dbs_;
}

std::vector<std::string> ProgressBoard::live_lines(Clock::time_point run_started) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> lines;
    size_t width = 8;
    for (const auto& p : dbs_) width = std::max(width, std::min<size_t>(p.name.size(), 30));
    int finished = 0;
    for (const auto& p : dbs_) {
        if (is_final(p.phase)) ++finished;
        if (p.phase == Phase::complete && dbs_.size() > 12) continue;  // keep the block short
        std::string name = p.name.size() > 30 ? p.name.substr(0, 29) + "~" : p.name;
        std::string elapsed = is_final(p.phase) || p.phase == Phase::waiting
                                  ? ""
                                  : util::format_duration(since(p.phase_started));
        lines.push_back(fmt::format("  {:<{}}  {:<19} {:>10}  {}", name, width, phase_name(p.phase),
                                    util::format_bytes(p.size_bytes), elapsed));
    }
    lines.push_back(fmt::format("  {}/{} databases finished, elapsed {}", finished, dbs_.size(),
                                util::format_duration(since(run_started))));
    return lines;
}

std::string ProgressBoard::status_line() const {
    std::lock_guard lock(mutex_);
    std::string active;
    int finished = 0;
    for (const auto& p : dbs_) {
        if (is_final(p.phase)) {
            ++finished;
            continue;
        }
        if (p.phase == Phase::waiting) continue;
        if (!active.empty()) active += ", ";
        active += fmt::format("{} {} {}", p.name, phase_name(p.phase),
                              util::format_duration(since(p.phase_started)));
    }
    return fmt::format("progress: {}/{} finished{}{}", finished, dbs_.size(),
                       active.empty() ? "" : "; active: ", active);
}

std::string render_summary(const std::vector<DatabaseProgress>& dbs) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : dbs) {
        std::string status = p.phase == Phase::complete ? (p.skipped ? "ok (already done)"
                                                           : p.warnings.empty() ? "ok"
                                                                                : "ok (warnings)")
                             : p.phase == Phase::failed ? "FAILED"
                                                        : phase_name(p.phase);
        std::string reached = p.phase == Phase::complete ? "complete" : phase_name(p.last_active);
        auto dur = [](std::chrono::milliseconds d) {
            return d.count() == 0 ? std::string("-") : util::format_duration(d);
        };
        rows.push_back({p.name, util::format_bytes(p.size_bytes), reached,
                        std::to_string(p.rows_verified), dur(p.dump_time), dur(p.restore_time),
                        dur(p.verify_time), dur(p.delayed_time), status});
    }
    return util::render_table({"database", "size", "phase reached", "rows verified", "dump",
                               "restore", "verify", "delayed", "status"},
                              rows, {1, 3, 4, 5, 6, 7});
}

}  // namespace pgmigrate::pipeline
