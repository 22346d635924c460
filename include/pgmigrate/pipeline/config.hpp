#pragma once
// The engine's configuration: a plain value that cli/ fills from flags and environment
// variables and main hands to a command. Nothing here knows how it was parsed.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pg/endpoint.hpp"
#include "pgmigrate/process/compression.hpp"

namespace pgmigrate::pipeline {

// What the run does: migrate (default), plan (read-only preview), verify (re-check a finished
// migration from scratch).
enum class Command { migrate, plan, verify };

// How much verification proves: row counts per table, or per-table row checksums plus the
// schema comparison.
enum class VerifyLevel { counts, checksums };
const char* verify_level_name(VerifyLevel level);

struct Config {
    Command command = Command::migrate;
    pg::Endpoint from;
    pg::Endpoint to;

    int dump_jobs = 24;
    int restore_jobs = 12;
    int max_parallel = 6;
    int dump_parallel = 6;     // defaults to max_parallel
    int restore_parallel = 6;  // defaults to max_parallel
    int verify_concurrency = 16;

    std::filesystem::path dump_root;   // default $HOME/pg_dumps
    std::filesystem::path state_home;  // $HOME: pg_migrate_state/ and pg_verify_state/ live here
    bool migrate_globals = true;
    bool disable_dst_optimizations = false;
    bool fast_verify = false;  // reltuples instead of exact counts (the original's mode)
    VerifyLevel verify_level = VerifyLevel::counts;
    bool analyze = true;  // VACUUM (ANALYZE) each table on the target after its load
    std::vector<std::string> delay_table_data;
    // pg_dumpall-style patterns choosing source databases (empty include: all).
    std::vector<std::string> include_databases;
    std::vector<std::string> exclude_databases;
    // Databases whose state is thrown away (and whose target database pg-migrate created is
    // dropped) before the run; reset_state does it for every database and the globals.
    std::vector<std::string> restart_databases;
    bool reset_state = false;
    std::optional<process::CompressionSpec> compress;
    std::optional<std::filesystem::path> pg_bin_dir;
    std::optional<std::filesystem::path> report_file;  // JSON report written at the end
    // Retry the first connection to each server this long (0: fail at once).
    std::chrono::seconds wait_for_servers{0};
    bool progress = true;  // live progress on a TTY
};

}  // namespace pgmigrate::pipeline
