#pragma once
// `pg-migrate plan`: connects to both servers, changes nothing, and says what a run would do.
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/util/error.hpp"

namespace pgmigrate::plan {

// ok when the run can go ahead, migration_failed when something blocks it.
ExitCode run_plan(const pipeline::Config& config);

}  // namespace pgmigrate::plan
