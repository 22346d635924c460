#pragma once
// The connection budget: the most client connections pg-migrate and its children open on each
// server, as a formula of the flags, fitted to what each server has free.
//
//   source peak = dump_parallel    x (dump_jobs + 2)    + pool
//   target peak = restore_parallel x (restore_jobs + 1) + pool        pool = verify_concurrency + 2
//
// A pg_dump -j N holds N + 1 connections and its database's exported snapshot one more; a
// pg_restore -j N holds N + 1. Every other connection (catalog reads, counts and checksums,
// CREATE DATABASE, VACUUM, index builds) comes from the pool, which never holds more than
// `pool` connections to one server and makes callers wait beyond that.
#include <string>
#include <vector>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/pipeline/config.hpp"

namespace pgmigrate::pipeline {

// What a server allows: max_connections minus the reserved slots minus what others use now.
struct ServerLimits {
    int max_connections = 0;
    int reserved = 0;  // superuser_reserved_connections (+ reserved_connections on 16+)
    int in_use = 0;    // client connections of others (this one not counted)
    int available() const { return max_connections - reserved - in_use; }
    std::string describe() const;  // "max_connections 100 - reserved 3 - in use 1 = 96"
};

// Reads the limits over conn (one query).
ServerLimits read_server_limits(pg::Connection& conn);

struct Budget {
    int dump_parallel = 1, dump_jobs = 1;
    int restore_parallel = 1, restore_jobs = 1;
    int verify_concurrency = 1;

    int pool_size() const { return verify_concurrency + 2; }
    int source_peak() const { return dump_parallel * (dump_jobs + 2) + pool_size(); }
    int target_peak() const { return restore_parallel * (restore_jobs + 1) + pool_size(); }
    // "6 x (24 + 2) + (16 + 2) = 174"
    std::string source_formula() const;
    std::string target_formula() const;
};

Budget budget_for(const Config& config);

// Lowers per-database jobs first, then parallel databases, then --verify-concurrency until
// each side fits its server; every change is added to notes ("--dump-jobs 24 -> 11").
// Throws pgmigrate::Error (source/target) with the numbers and the flag to change when even
// one database with one job cannot fit.
Budget fit_budget(Budget budget, const ServerLimits& source, const ServerLimits& target,
                  std::vector<std::string>& notes);

// The config with the budget's numbers in it.
Config with_budget(Config config, const Budget& budget);

}  // namespace pgmigrate::pipeline
