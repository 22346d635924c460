#pragma once
// Everything the operator can set, from flags or PG_MIGRATE_* environment variables.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pg/endpoint.hpp"
#include "pgmigrate/process/compression.hpp"

namespace pgmigrate::cli {

struct Options {
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
    bool fast_verify = false;
    std::vector<std::string> delay_table_data;
    std::optional<process::CompressionSpec> compress;
    std::optional<std::filesystem::path> pg_bin_dir;
    bool progress = true;  // live progress on a TTY
};

enum class ParseStatus { run, exit_ok, exit_usage };

struct ParseResult {
    ParseStatus status = ParseStatus::run;
    Options options;
    std::string message;  // help/version text (exit_ok) or the one-line error (exit_usage)
};

// Parses argv and the environment. Never exits the process and never prints.
ParseResult parse_command_line(int argc, const char* const* argv);

}  // namespace pgmigrate::cli
