#pragma once
// What every database is doing, for the live display (TTY), periodic status lines (non-TTY)
// and the final summary.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pgmigrate::pipeline {

enum class Phase {
    waiting,
    dumping,
    source_counts,
    waiting_restore,
    restoring,
    dest_counts,
    verifying,
    delayed_dumping,
    dropping_indexes,
    delayed_restoring,
    recreating_indexes,
    delayed_verifying,
    complete,
    failed,
    interrupted,
};

const char* phase_name(Phase phase);

using Clock = std::chrono::steady_clock;

struct DatabaseProgress {
    std::string name;
    std::uint64_t size_bytes = 0;
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
};

class ProgressBoard {
  public:
    void add(const std::string& name, std::uint64_t size_bytes);
    // Moves a database into a phase and logs it.
    void enter(const std::string& name, Phase phase);
    template <typename F>
    void update(const std::string& name, F&& f) {
        std::lock_guard lock(mutex_);
        f(find(name));
    }
    std::vector<DatabaseProgress> snapshot() const;
    // Lines for the live terminal block.
    std::vector<std::string> live_lines(Clock::time_point run_started) const;
    // One line listing active databases, for logs when not on a terminal.
    std::string status_line() const;

  private:
    DatabaseProgress& find(const std::string& name);
    mutable std::mutex mutex_;
    std::vector<DatabaseProgress> dbs_;
};

// The end-of-run table: database, size, phase reached, rows verified, durations, status.
std::string render_summary(const std::vector<DatabaseProgress>& dbs);

}  // namespace pgmigrate::pipeline
