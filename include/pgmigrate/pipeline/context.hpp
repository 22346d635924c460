#pragma once
// What every step of a run shares: options, client tools, state, the connection pool, the
// semaphores and the progress board.
#include <semaphore>
#include <string>

#include "pgmigrate/pg/pool.hpp"
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/pipeline/delay_patterns.hpp"
#include "pgmigrate/pipeline/progress.hpp"
#include "pgmigrate/pipeline/state.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/process/pg_tools.hpp"

namespace pgmigrate::pipeline {

class Context {
  public:
    Context(Config opts, process::ClientTools client_tools);

    const Config options;
    const process::ClientTools tools;
    const StateStore state;
    const DelayPlan delay_plan;
    pg::Pool pool;
    ProgressBoard progress;

    std::counting_semaphore<> dump_slots;     // source side: --dump-parallel
    std::counting_semaphore<> restore_slots;  // target side: --restore-parallel
    std::counting_semaphore<> count_slots;    // all count queries: --verify-concurrency

    int source_major = 0;
    int target_major = 0;
    std::string source_version, target_version;       // "15.18", as the servers report them
    std::string compression_argument;                 // pg_dump -Z value
    ServerIdentity source_identity, target_identity;  // read in preflight

    // This run's step inputs for a database whose source OID is source_db_oid.
    StepInputs inputs(const std::string& source_db_oid) const;

    pg::PooledConnection source(const std::string& db) { return pool.acquire(options.from, db); }
    pg::PooledConnection target(const std::string& db) { return pool.acquire(options.to, db); }
    // A connection of its own (not pooled) for a database's exported snapshot; counted in the
    // dump slot of the connection budget.
    pg::Connection snapshot_connection(const std::string& db);

    // A child command for a tool, labelled "<tool> [db]", with the side's password in its env.
    process::Command tool_command(const std::filesystem::path& program, const pg::Endpoint& side,
                                  const std::string& db, std::vector<std::string> args) const;
    // Logs a child's stderr line under the database's name (errors/warnings as warnings).
    process::LineSink stderr_logger(const std::string& label) const;
};

// RAII hold of one semaphore slot. Waiting polls try_acquire_for so that cancellation is seen;
// keep the polling (not acquire()): libstdc++ 12's counting_semaphore can lose a wakeup (GCC PR
// 98033), and a timed wait recovers from one.
class SlotGuard {
  public:
    explicit SlotGuard(std::counting_semaphore<>& sem);
    ~SlotGuard() { release(); }
    void release() {
        if (held_) sem_.release();
        held_ = false;
    }
    SlotGuard(const SlotGuard&) = delete;
    SlotGuard& operator=(const SlotGuard&) = delete;

  private:
    std::counting_semaphore<>& sem_;
    bool held_ = false;
};

}  // namespace pgmigrate::pipeline
