#pragma once
// Errors that reach the operator carry a stable exit code (documented in README.md).
#include <stdexcept>
#include <string>

namespace pgmigrate {

enum class ExitCode : int {
    ok = 0,
    migration_failed = 1,  // at least one database failed to migrate or verify
    usage = 2,             // bad command line or environment value
    source = 3,            // the source server refused or failed (connect, query, dump)
    target = 4,            // the target server refused or failed (connect, restore, settings)
    local = 5,             // this machine: client tools, dump root, state directory, lock
    interrupted = 130,     // SIGINT (128 + 2)
    terminated = 143,      // SIGTERM (128 + 15)
};

// An error meant for the operator: a one-line message plus the exit code it maps to.
class Error : public std::runtime_error {
  public:
    Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
    ExitCode code() const noexcept { return code_; }

  private:
    ExitCode code_;
};

// Thrown by long work when the run was cancelled by a signal.
class Cancelled : public std::runtime_error {
  public:
    Cancelled() : std::runtime_error("cancelled") {}
};

}  // namespace pgmigrate
