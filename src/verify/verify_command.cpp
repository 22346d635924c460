#include "pgmigrate/verify/verify_command.hpp"

namespace pgmigrate::verify {

// Placeholder until the verify command lands (issue 12).
ExitCode run_verify(const pipeline::Config&) {
    throw Error(ExitCode::usage, "pg-migrate verify is not available in this build yet");
}

}  // namespace pgmigrate::verify
