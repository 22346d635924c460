#pragma once
// A whole run, README "What a run does" 1-11: state, preflight checks, discovery, target settings,
// globals, database creation, the per-database threads, settings back, summary.
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/util/error.hpp"

namespace pgmigrate::pipeline {

// Returns the process exit code. Throws pgmigrate::Error for failures before any database
// work starts (connection, tools, state).
ExitCode run_migration(const Config& options);

}  // namespace pgmigrate::pipeline
