#pragma once
// `pg-migrate verify`: re-verifies a finished migration from scratch, never from cached results.
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/util/error.hpp"

namespace pgmigrate::verify {

// ok when the target equals the source, migration_failed with the differences otherwise.
ExitCode run_verify(const pipeline::Config& config);

}  // namespace pgmigrate::verify
