#pragma once
// The per-database pipeline (one std::thread each). Its resumable steps are pipeline/steps:
//   dumped (pg_dump in an exported snapshot, under a dump slot; the snapshot also gives the
//   table list, the database definition, the foreign keys to defer and the source figures)
//   -> created + restored (under a restore slot) -> verify (under the count slots)
//   -> the delayed phase for tables whose data the dump left out (its own snapshot), verified.
// Before any work plan_resume() compares the markers with this run's inputs: it keeps, redoes
// or refuses. Verification is never taken from an earlier run.
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/counts.hpp"
#include "pgmigrate/pipeline/progress.hpp"
#include "pgmigrate/pipeline/steps.hpp"
#include "pgmigrate/verify/figures.hpp"

namespace pgmigrate::pg {
class Connection;
}

namespace pgmigrate::pipeline {

class Context;
struct SourceDatabase;

class DatabaseTask {
  public:
    DatabaseTask(Context& ctx, const SourceDatabase& db);
    // Runs to completion, failure or cancellation; never throws. The outcome is on the board.
    void run() noexcept;

  private:
    void plan();
    void run_regular();
    void run_delayed();

    void dump();
    void restore();
    // VACUUM (ANALYZE) of the loaded tables unless --no-analyze (pipeline/analyze).
    void analyze(const std::vector<TableKey>& tables);
    // Restore arguments for the target's own database of this name (records it as created).
    std::vector<std::string> prepare_existing_database();
    void delayed_dump();
    void delayed_load();
    // pg_dump -Fd into dir (emptied first) / pg_restore from dir, with the common arguments.
    void run_pg_dump(const std::filesystem::path& dir, const std::string& snapshot,
                     std::vector<std::string> extra_args);
    void run_pg_restore(const std::filesystem::path& dir, std::vector<std::string> extra_args);
    void verify(bool delayed_phase);
    std::string verify_estimates();
    void verify_schema();
    std::vector<verify::TableShape> shapes(bool delayed_phase) const;
    verify::Figures source_figures(bool delayed_phase);
    verify::Figures target_figures(const std::vector<verify::TableShape>& expected,
                                   bool with_sequences);
    std::string moved_on_note(const TableCounts& changes_at_snapshot);

    void mark(Step step, const std::map<Step, std::string>& builds_on,
              nlohmann::json details = nlohmann::json::object());
    std::string execution(Step step) const;
    void timed(Phase phase, std::chrono::milliseconds DatabaseProgress::*bucket,
               const std::function<void()>& work);

    Context& ctx_;
    std::string db_;
    bool into_existing_ = false;  // postgres/template1: restored into the target's own database
    StepInputs inputs_;
    std::map<Step, nlohmann::json> markers_;  // valid markers (kept or written by this run)
    bool earlier_delayed_load_ = false;       // an earlier run loaded (some) delayed rows
    // From the dump's marker: what its snapshot saw.
    std::vector<TableKey> tables_;
    std::set<TableKey> delayed_;  // tables whose data the dump left out
};

}  // namespace pgmigrate::pipeline
