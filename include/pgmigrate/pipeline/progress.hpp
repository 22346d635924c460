#pragma once
// What every database is doing, for the live display (TTY), periodic status lines (non-TTY),
// the final summary and the JSON report (pipeline/report). Task code records into the board;
// everything shown or written is read from it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pgmigrate/pipeline/databases.hpp"

namespace pgmigrate::pipeline {

class Context;
struct VerifyReport;

enum class Phase {
    waiting,
    dumping,
    source_counts,
    waiting_restore,
    restoring,
    analyzing,  // VACUUM (ANALYZE) of what was loaded
    verifying,
    delayed_dumping,
    dropping_indexes,
    delayed_restoring,
    recreating_indexes,
    delayed_verifying,
    complete,
    failed,
    interrupted,
    not_migrated,  // skipped by discovery (template, filter, ...): see skip_reason
};

const char* phase_name(Phase phase);
bool is_final(Phase phase);

using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

// One phase a database went through, in wall-clock time (for the report).
struct StepRecord {
    Phase phase;
    WallClock::time_point started;
    std::optional<WallClock::time_point> ended;
};

// Row counts of one table as verification saw them.
struct TableRows {
    std::string schema, name;
    std::optional<long long> source, target;
    std::string status;  // ok, mismatch, warning, missing
    bool exact = true;
    bool delayed = false;  // counted in the delayed phase
};

struct DatabaseProgress {
    std::string name;
    std::uint64_t size_bytes = 0;  // pg_database_size on the source
    Placement placement = Placement::create;
    std::optional<std::string> skip_reason;
    Phase phase = Phase::waiting;
    Phase last_active = Phase::waiting;  // the phase reached before failing/being interrupted
    Clock::time_point phase_started{};
    std::optional<Clock::time_point> started;
    std::optional<Clock::time_point> regular_finished;  // when the regular phase verified
    std::chrono::milliseconds dump_time{0}, restore_time{0}, verify_time{0}, delayed_time{0};
    long long rows_verified = 0;
    bool skipped = false;  // everything was already done by an earlier run
    std::string error;
    std::vector<std::string> warnings;

    // Bytes: the dump directory as measured, against the estimate; the target database's size
    // as sampled, against the source's size.
    std::filesystem::path dump_dir;
    std::uint64_t dump_bytes_expected = 0;
    std::uint64_t bytes_dumped = 0;
    std::uint64_t bytes_restored = 0;
    bool dump_finished = false, restore_finished = false;

    std::vector<StepRecord> steps;
    std::vector<TableRows> tables;
    std::optional<bool> verified, delayed_verified;

    // Work done in bytes of the source database: half its size for the dump, half for the
    // restore, each in proportion to the bytes measured (capped below 100% until the step ends).
    std::uint64_t bytes_done() const;
};

class ProgressBoard {
  public:
    // A database to migrate (or, with skip_reason, one that is only listed).
    void add(const SourceDatabase& db, std::filesystem::path dump_dir = {},
             std::uint64_t dump_bytes_expected = 0);
    void add(const std::string& name, std::uint64_t size_bytes);
    // Moves a database into a phase and logs it.
    void enter(const std::string& name, Phase phase);
    template <typename F>
    void update(const std::string& name, F&& f) {
        std::lock_guard lock(mutex_);
        f(find(name));
    }
    // Records a verification's per-table figures, its result and rows_verified.
    void record_verification(const std::string& name, const VerifyReport& report,
                             bool delayed_phase);
    // Measures the dump directories of databases being dumped.
    void sample_dump_sizes();
    // The target's database sizes (name -> bytes) for databases being or already restored.
    void record_target_sizes(const std::vector<std::pair<std::string, std::uint64_t>>& sizes);
    // Whether some database is restoring (target sizes are worth sampling).
    bool any_restoring() const;
    // Whether some database reached its restore (in this run or an earlier one).
    bool any_restore_started() const;

    std::vector<DatabaseProgress> snapshot() const;
    // Lines for the live terminal block.
    std::vector<std::string> live_lines(Clock::time_point run_started) const;
    // One line: finished count, bytes done of expected, ETA, active databases (for logs when
    // not on a terminal).
    std::string status_line(Clock::time_point run_started) const;
    std::string status_line() const { return status_line(Clock::now()); }

  private:
    DatabaseProgress& find(const std::string& name);
    std::string totals_text(Clock::time_point run_started) const;  // caller holds mutex_
    mutable std::mutex mutex_;
    std::vector<DatabaseProgress> dbs_;
};

// The end-of-run table: database, size, phase reached, rows verified, durations, status; then
// the databases not migrated and why.
std::string render_summary(const std::vector<DatabaseProgress>& dbs);

// Redraws the live block on a TTY (twice a second) or logs a status line every 30 s otherwise;
// measures dump directories and samples the target's database sizes (one query on the target's
// maintenance database at most every 10 s, and once at the end) for the byte figures.
class ProgressReporter {
  public:
    ProgressReporter(Context& ctx, Clock::time_point started);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

  private:
    void loop();
    void sample_target();
    Context& ctx_;
    Clock::time_point started_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace pgmigrate::pipeline
