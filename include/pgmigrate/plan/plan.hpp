#pragma once
// `pg-migrate plan`: connects to both servers, changes nothing, and says what a run would do.
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/util/error.hpp"

namespace pgmigrate::plan {

// Prints what a run with this config would do and what stands in its way; writes nothing but
// the --report file, takes no state lock, changes neither server. ok when the run can go
// ahead, migration_failed when something blocks it (each blocker printed with its fix).
ExitCode run_plan(const pipeline::Config& config);

}  // namespace pgmigrate::plan
