#pragma once
// Target settings for the load (README "What a run does", step 5), chosen from measurement
// (bench/README.md, "Settings") and sized from the target machine: maintenance_work_mem per
// concurrent index build and max_parallel_maintenance_workers from the target's memory and cores
// (read through pg_read_file of /proc and the cgroup files; guessed from shared_buffers when that
// fails) and from --restore-jobs x --restore-parallel. Applied with ALTER SYSTEM + reload. Each
// changed setting's previous postgresql.auto.conf value is saved durably before anything changes,
// and put back exactly (ALTER SYSTEM SET old value, or RESET when it had none).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pgmigrate::pg {
class Connection;
}

namespace pgmigrate::pipeline {

class Context;

// What the target machine offers, as far as the target server lets us see it.
struct TargetMachine {
    std::optional<long long> memory_bytes;  // MemTotal, or the cgroup limit when lower
    std::optional<int> cores;               // online CPUs, or the cgroup quota when lower
    std::string memory_source;              // "/proc/meminfo", "cgroup memory.max", "guess ..."
    std::string cores_source;
    long long shared_buffers_bytes = 0;
    int max_parallel_workers = 8;
};

// The server's live values of the settings choose_target_settings decides about.
struct CurrentSettings {
    long long maintenance_work_mem_bytes = 64LL << 20;
    int max_parallel_maintenance_workers = 2;
};

struct ChosenSetting {
    std::string name;
    std::string value;  // as ALTER SYSTEM SET takes it, e.g. "256MB"
    std::string why;    // for the log
};

// The settings to apply for a load with restore_jobs x restore_parallel concurrent index
// builds; settings already right on the server are left out. Pure: unit-tested.
std::vector<ChosenSetting> choose_target_settings(const TargetMachine& machine,
                                                  const CurrentSettings& current, int restore_jobs,
                                                  int restore_parallel);

// Every setting pg-migrate may change, including ones earlier versions changed (fsync,
// synchronous_commit, full_page_writes, checkpoint_completion_target): a state file left by an
// older run names them and must still be put back.
const std::vector<std::string>& managed_setting_names();

// Parsers for what pg_read_file returns (pure; unit-tested). nullopt when unreadable.
std::optional<long long> parse_meminfo_total(const std::string& meminfo);
std::optional<int> parse_cpuinfo_cores(const std::string& cpuinfo);
std::optional<long long> parse_cgroup_memory_max(const std::string& text);
std::optional<int> parse_cgroup_cpu_max(const std::string& text);

// The start-of-run advice about wal_level (empty when there is none to give): with
// wal_level = minimal and max_wal_senders = 0, parallel pg_restore's TRUNCATE + COPY in one
// transaction writes (almost) no WAL for the table data.
std::string wal_level_advice(const std::string& wal_level, int max_wal_senders,
                             const std::string& archive_mode, int replication_connections);
// Reads the target's wal_level, max_wal_senders, archive_mode and replication connections and
// logs wal_level_advice() when there is advice. Never throws (a failed query is logged at debug).
void log_wal_level_advice(Context& ctx);

class TargetSettings {
  public:
    explicit TargetSettings(Context& ctx) : ctx_(ctx) {}
    // Puts back settings that an earlier, killed run left changed. Safe to call always.
    void restore_leftover();
    // Reads the target machine, chooses the settings, saves the current values, applies them.
    void apply();
    // Puts the saved values back (no-op when nothing was applied). Never throws; logs instead.
    void restore() noexcept;

  private:
    // Puts back what the saved file holds, after checking it is this server's; logs warning
    // (when given) once that check has passed.
    void restore_from_file(const char* warning = nullptr);
    void check_saved_for_this_server(const nlohmann::json& doc, pg::Connection& conn) const;
    TargetMachine read_machine();
    CurrentSettings read_current();
    Context& ctx_;
};

}  // namespace pgmigrate::pipeline
