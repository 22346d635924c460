#pragma once
// Statistics on arrival: VACUUM (ANALYZE) of each loaded table on the target, so the migrated
// server is not handed over with empty planner statistics (pg_upgrade tells every user to run
// vacuumdb --analyze-in-stages afterwards). VACUUM also sets the hint bits and the visibility
// map, so the first read after it (the count verification, the application's first queries)
// writes nothing and can use index-only scans.
//
// With pg_dump 18 or newer and a target of 18 or newer the planner statistics travel in the dump
// instead (pg_dump --statistics, restored by pg_restore): bench/statistics measured it cheaper
// than VACUUM (ANALYZE) after the load, which is then skipped for the tables the dump carried
// (autovacuum's insert threshold vacuums them later).
#include <string>
#include <vector>

#include "pgmigrate/pipeline/table.hpp"

namespace pgmigrate::pipeline {

class Context;

// Runs VACUUM (ANALYZE) on each table of db on the target, at most Config::restore_jobs at a
// time, connections from ctx.pool. A table missing on the target is skipped (the count
// verification reports it); any other failure is rethrown after the running ones finish.
// Throws Cancelled when the run is cancelled (the running statements are cancelled).
void analyze_tables(Context& ctx, const std::string& db, const std::vector<TableKey>& tables);

// Whether the regular dump carries the planner statistics (pg_dump --statistics): the tools and
// the target are 18 or newer, statistics are wanted (not --no-analyze), and not --fast-verify
// (which compares the target's own reltuples: copied statistics would prove nothing).
bool statistics_in_dump(int tools_major, int target_major, bool analyze, bool fast_verify);
// statistics_in_dump for this run (its tools, target and options).
bool carries_statistics(const Context& ctx);

}  // namespace pgmigrate::pipeline
