#include "pgmigrate/plan/plan.hpp"

namespace pgmigrate::plan {

// Placeholder until the plan command lands (issue 14).
ExitCode run_plan(const pipeline::Config&) {
    throw Error(ExitCode::usage, "pg-migrate plan is not available in this build yet");
}

}  // namespace pgmigrate::plan
