#pragma once
// Statistics on arrival: VACUUM (ANALYZE) of each loaded table on the target, so the migrated
// server is not handed over with empty planner statistics (pg_upgrade tells every user to run
// vacuumdb --analyze-in-stages afterwards). VACUUM also sets the hint bits and the visibility
// map, so the first read after it (the count verification, the application's first queries)
// writes nothing and can use index-only scans.
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

}  // namespace pgmigrate::pipeline
