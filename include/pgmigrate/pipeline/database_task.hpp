#pragma once
// The per-database pipeline (one std::thread each): dump -> source counts under a dump slot,
// restore -> dest counts -> verify under a restore slot, then the delayed phase for databases
// with --delay-table-data tables. Every step checks its marker first, so a re-run resumes.
#include <filesystem>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/counts.hpp"
#include "pgmigrate/pipeline/progress.hpp"

namespace pgmigrate::pipeline {

class Context;

class DatabaseTask {
  public:
    DatabaseTask(Context& ctx, std::string db);
    // Runs to completion, failure or cancellation; never throws. The outcome is on the board.
    void run() noexcept;

  private:
    void run_regular();
    void run_delayed();
    bool fully_done() const;

    void dump();
    void restore();
    void delayed_restore();
    // pg_dump -Fd into dir (emptied first) / pg_restore from dir, with the common arguments.
    void run_pg_dump(const std::filesystem::path& dir, std::vector<std::string> extra_args);
    void run_pg_restore(const std::filesystem::path& dir, std::vector<std::string> extra_args);
    TableCounts counts(pg::Side side, bool delayed_phase);
    void verify(bool delayed_phase);

    void timed(Phase phase, std::chrono::milliseconds DatabaseProgress::*bucket,
               const std::function<void()>& work);

    Context& ctx_;
    std::string db_;
    std::vector<TableKey> tables_;  // source tables (loaded lazily)
    std::set<TableKey> delayed_;    // tables whose data loads in the delayed phase
    bool tables_loaded_ = false;
    void load_tables();
};

}  // namespace pgmigrate::pipeline
