#include "pgmigrate/pipeline/progress.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/counts.hpp"
#include "pgmigrate/pipeline/estimates.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/live_area.hpp"
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
        case Phase::analyzing:
            return "analyzing";
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
        case Phase::not_migrated:
            return "not migrated";
    }
    return "?";
}

bool is_final(Phase p) {
    return p == Phase::complete || p == Phase::failed || p == Phase::interrupted ||
           p == Phase::not_migrated;
}

namespace {

std::chrono::milliseconds since(Clock::time_point t, Clock::time_point now = Clock::now()) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - t);
}

// Phases past which the dump (restore) of the regular phase is finished.
bool dump_is_behind(Phase p) {
    return p != Phase::waiting && p != Phase::dumping && p != Phase::failed &&
           p != Phase::interrupted && p != Phase::not_migrated;
}
bool restore_is_behind(Phase p) {
    return dump_is_behind(p) && p != Phase::source_counts && p != Phase::waiting_restore &&
           p != Phase::restoring;
}

std::uint64_t directory_bytes(const std::filesystem::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec)) return 0;
    for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end;
         it.increment(ec)) {
        std::error_code size_ec;
        if (it->is_regular_file(size_ec)) {
            auto size = it->file_size(size_ec);
            if (!size_ec) total += size;
        }
    }
    return total;
}

double fraction(std::uint64_t done, std::uint64_t expected, bool finished) {
    if (finished) return 1.0;
    if (expected == 0) return 0.0;
    return std::min(0.99, static_cast<double>(done) / static_cast<double>(expected));
}

}  // namespace

std::uint64_t DatabaseProgress::bytes_done() const {
    if (skip_reason) return 0;
    if (phase == Phase::complete) return size_bytes;
    double f = 0.5 * fraction(bytes_dumped, dump_bytes_expected, dump_finished) +
               0.5 * fraction(bytes_restored, size_bytes, restore_finished);
    return static_cast<std::uint64_t>(f * static_cast<double>(size_bytes));
}

void ProgressBoard::add(const SourceDatabase& db, std::filesystem::path dump_dir,
                        std::uint64_t dump_bytes_expected) {
    std::lock_guard lock(mutex_);
    DatabaseProgress p;
    p.name = db.name;
    p.size_bytes = db.size_bytes;
    p.placement = db.placement;
    p.skip_reason = db.skip_reason;
    if (db.skip_reason) p.phase = p.last_active = Phase::not_migrated;
    p.dump_dir = std::move(dump_dir);
    p.dump_bytes_expected = dump_bytes_expected;
    p.phase_started = Clock::now();
    dbs_.push_back(std::move(p));
}

void ProgressBoard::add(const std::string& name, std::uint64_t size_bytes) {
    SourceDatabase db;
    db.name = name;
    db.size_bytes = size_bytes;
    add(db);
}

DatabaseProgress& ProgressBoard::find(const std::string& name) {
    for (auto& p : dbs_)
        if (p.name == name) return p;
    throw std::logic_error("unknown database in progress board: " + name);
}

void ProgressBoard::enter(const std::string& name, Phase phase) {
    bool measure_dump = false;
    std::filesystem::path dir;
    {
        std::lock_guard lock(mutex_);
        auto& p = find(name);
        if (!is_final(p.phase) && p.phase != Phase::waiting && p.phase != Phase::waiting_restore)
            p.last_active = p.phase;
        if (!is_final(phase) && phase != Phase::waiting_restore) p.last_active = phase;
        measure_dump = p.phase == Phase::dumping && dump_is_behind(phase);
        dir = p.dump_dir;
        p.phase = phase;
        p.phase_started = Clock::now();
        if (!p.started) p.started = Clock::now();
        if (dump_is_behind(phase)) p.dump_finished = true;
        if (restore_is_behind(phase)) p.restore_finished = true;
        auto now = WallClock::now();
        if (!p.steps.empty() && !p.steps.back().ended) p.steps.back().ended = now;
        if (!is_final(phase)) p.steps.push_back({phase, now, std::nullopt});
    }
    if (measure_dump) {
        auto bytes = directory_bytes(dir);
        std::lock_guard lock(mutex_);
        find(name).bytes_dumped = bytes;
    }
    if (phase == Phase::waiting_restore) return;
    if (phase == Phase::failed)
        return;  // the failure itself is logged with its reason by the caller
    spdlog::info("[{}] {}", name, phase_name(phase));
}

void ProgressBoard::record_verification(const std::string& name, const VerifyReport& report,
                                        bool delayed_phase) {
    std::lock_guard lock(mutex_);
    auto& p = find(name);
    p.rows_verified = report.rows_verified;
    std::erase_if(p.tables, [&](const TableRows& t) { return t.delayed == delayed_phase; });
    for (const auto& row : report.rows) {
        const char* status = row.status == VerifyRow::Status::ok         ? "ok"
                             : row.status == VerifyRow::Status::mismatch ? "mismatch"
                             : row.status == VerifyRow::Status::warning  ? "warning"
                                                                         : "missing";
        p.tables.push_back({row.table.schema, row.table.name, row.source, row.dest, status,
                            row.exact, delayed_phase});
    }
    (delayed_phase ? p.delayed_verified : p.verified) = report.ok();
    p.rows_verified = 0;
    for (const auto& t : p.tables)
        if (t.source && t.status == "ok") p.rows_verified += *t.source;
}

void ProgressBoard::sample_dump_sizes() {
    std::vector<std::pair<std::string, std::filesystem::path>> dirs;
    {
        std::lock_guard lock(mutex_);
        for (const auto& p : dbs_)
            if (p.phase == Phase::dumping) dirs.emplace_back(p.name, p.dump_dir);
    }
    for (const auto& [name, dir] : dirs) {
        auto bytes = directory_bytes(dir);
        std::lock_guard lock(mutex_);
        auto& p = find(name);
        if (p.phase == Phase::dumping) p.bytes_dumped = bytes;
    }
}

void ProgressBoard::record_target_sizes(
    const std::vector<std::pair<std::string, std::uint64_t>>& sizes) {
    std::lock_guard lock(mutex_);
    for (const auto& [name, bytes] : sizes)
        for (auto& p : dbs_)
            if (p.name == name && !p.skip_reason &&
                (p.phase == Phase::restoring || p.restore_finished))
                p.bytes_restored = bytes;
}

bool ProgressBoard::any_restoring() const {
    std::lock_guard lock(mutex_);
    return std::any_of(dbs_.begin(), dbs_.end(),
                       [](const DatabaseProgress& p) { return p.phase == Phase::restoring; });
}

bool ProgressBoard::any_restore_started() const {
    std::lock_guard lock(mutex_);
    return std::any_of(dbs_.begin(), dbs_.end(), [](const DatabaseProgress& p) {
        return p.restore_finished || p.phase == Phase::restoring ||
               p.last_active == Phase::restoring;
    });
}

std::vector<DatabaseProgress> ProgressBoard::snapshot() const {
    std::lock_guard lock(mutex_);
    return dbs_;
}

std::string ProgressBoard::totals_text(Clock::time_point run_started) const {
    std::uint64_t done = 0, total = 0;
    int finished = 0, migrated = 0;
    for (const auto& p : dbs_) {
        if (p.skip_reason) continue;
        ++migrated;
        if (is_final(p.phase)) ++finished;
        done += p.bytes_done();
        total += p.size_bytes;
    }
    auto elapsed = since(run_started);
    auto left = eta(done, total, elapsed);
    return fmt::format(
        "{}/{} databases finished, {} of {} done, elapsed {}{}", finished, migrated,
        util::format_bytes(done), util::format_bytes(total), util::format_duration(elapsed),
        left.count() < 0 || finished == migrated ? std::string()
                                                 : ", ETA " + util::format_duration(left));
}

std::vector<std::string> ProgressBoard::live_lines(Clock::time_point run_started) const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> lines;
    size_t width = 8;
    for (const auto& p : dbs_)
        if (!p.skip_reason) width = std::max(width, std::min<size_t>(p.name.size(), 30));
    for (const auto& p : dbs_) {
        if (p.skip_reason) continue;
        if (p.phase == Phase::complete && dbs_.size() > 12) continue;  // keep the block short
        std::string name = p.name.size() > 30 ? p.name.substr(0, 29) + "~" : p.name;
        std::string elapsed = is_final(p.phase) || p.phase == Phase::waiting
                                  ? ""
                                  : util::format_duration(since(p.phase_started));
        lines.push_back(fmt::format("  {:<{}}  {:<19} {:>10} of {:>10}  {}", name, width,
                                    phase_name(p.phase), util::format_bytes(p.bytes_done()),
                                    util::format_bytes(p.size_bytes), elapsed));
    }
    lines.push_back("  " + totals_text(run_started));
    return lines;
}

std::string ProgressBoard::status_line(Clock::time_point run_started) const {
    std::lock_guard lock(mutex_);
    std::string active;
    for (const auto& p : dbs_) {
        if (is_final(p.phase) || p.phase == Phase::waiting) continue;
        if (!active.empty()) active += ", ";
        active += fmt::format("{} {} {} of {} {}", p.name, phase_name(p.phase),
                              util::format_bytes(p.bytes_done()), util::format_bytes(p.size_bytes),
                              util::format_duration(since(p.phase_started)));
    }
    return fmt::format("progress: {}{}{}", totals_text(run_started),
                       active.empty() ? "" : "; active: ", active);
}

std::string render_summary(const std::vector<DatabaseProgress>& dbs) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::vector<std::string>> skipped;
    for (const auto& p : dbs) {
        if (p.skip_reason) {
            skipped.push_back({p.name, util::format_bytes(p.size_bytes), *p.skip_reason});
            continue;
        }
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
    std::string out = util::render_table({"database", "size", "phase reached", "rows verified",
                                          "dump", "restore", "verify", "delayed", "status"},
                                         rows, {1, 3, 4, 5, 6, 7});
    if (!skipped.empty())
        out +=
            "\nnot migrated:\n" + util::render_table({"database", "size", "reason"}, skipped, {1});
    return out;
}

ProgressReporter::ProgressReporter(Context& ctx, Clock::time_point started)
    : ctx_(ctx), started_(started), thread_([this] { loop(); }) {}

ProgressReporter::~ProgressReporter() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    util::LiveArea::instance().update({});
    // Bytes restored for the summary and the report; not when a signal stops the run (queries
    // are being cancelled) or when no restore started (the target may be unreachable).
    if (!cancel::requested() && ctx_.progress.any_restore_started()) sample_target();
}

void ProgressReporter::sample_target() {
    try {
        auto conn = ctx_.target(ctx_.options.to.dbname);
        auto res = conn->query(pg::sql::kDatabaseSizes, {}, std::chrono::seconds(10));
        std::vector<std::pair<std::string, std::uint64_t>> sizes;
        for (int i = 0; i < res.rows(); ++i)
            sizes.emplace_back(res.get(i, 0), static_cast<std::uint64_t>(res.get_int(i, 1)));
        ctx_.progress.record_target_sizes(sizes);
    } catch (const std::exception& e) {
        spdlog::debug("target database sizes not sampled: {}", e.what());
    }
}

void ProgressReporter::loop() {
    bool live = util::LiveArea::instance().enabled() && ctx_.options.progress;
    auto last_status = Clock::now();
    auto last_target_sample = Clock::now();
    auto last_dump_sample = Clock::now();
    std::unique_lock lock(mutex_);
    while (!stop_) {
        cv_.wait_for(lock, std::chrono::milliseconds(live ? 500 : 1000));
        if (stop_) break;
        lock.unlock();
        if (Clock::now() - last_dump_sample > std::chrono::seconds(2)) {
            ctx_.progress.sample_dump_sizes();
            last_dump_sample = Clock::now();
        }
        if (Clock::now() - last_target_sample > std::chrono::seconds(10) &&
            ctx_.progress.any_restoring()) {
            sample_target();
            last_target_sample = Clock::now();
        }
        if (live) {
            util::LiveArea::instance().update(ctx_.progress.live_lines(started_));
        } else if (Clock::now() - last_status > std::chrono::seconds(30)) {
            spdlog::info("{}", ctx_.progress.status_line(started_));
            last_status = Clock::now();
        }
        lock.lock();
    }
}

}  // namespace pgmigrate::pipeline
