#pragma once
// Child processes (pg_dump, pg_dumpall, pg_restore): started with fork/exec in their own process
// group, with their own environment (PGPASSWORD lives there, never in argv or in ours), stderr
// streamed line by line to a callback, always reaped. run() is spawn, pump (stdout/stderr until
// both close) and reap. On cancellation the whole group gets SIGTERM, then SIGKILL after
// Command::cancel_grace. What is left of the group is killed before the leader is reaped, while
// the group id cannot belong to anyone else. If pg-migrate itself dies, the kernel kills the
// child (PR_SET_PDEATHSIG) so no orphan keeps writing.
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pgmigrate/util/error.hpp"

namespace pgmigrate::process {

struct Command {
    std::string program;  // a path, or a name looked up in PATH
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> environment;  // added to ours, or replacing
    std::string label;  // how logs name this child, e.g. "pg_dump [sales]"
    std::optional<std::filesystem::path> stdout_file;  // else stdout is captured into Outcome
    std::function<void(int pid)> on_started;           // called once the child runs
    // On cancellation: SIGTERM to the child's group, SIGKILL when it is still there after this.
    std::chrono::milliseconds cancel_grace = std::chrono::seconds(5);

    // The command line as it may be logged: program and args (secrets never live in argv).
    std::string display() const;
};

struct Outcome {
    int exit_code = -1;  // valid when signal == 0
    int signal = 0;      // the signal that ended the child, or 0
    bool cancelled = false;
    std::string stdout_text;
    std::vector<std::string> stderr_tail;  // the last lines of stderr
    bool ok() const { return signal == 0 && exit_code == 0 && !cancelled; }
    // "exited with code 1" / "killed by signal 9 (Killed)"
    std::string status_text() const;
};

using LineSink = std::function<void(const std::string& line)>;

// Runs the command to completion (or cancellation). Throws pgmigrate::Error only when the
// program cannot be started at all.
Outcome run(const Command& command, const LineSink& on_stderr_line);

// Runs the command and throws pgmigrate::Error(code, ...) with the status and stderr tail when
// it fails; pgmigrate::Cancelled when the run was cancelled.
Outcome run_checked(const Command& command, const LineSink& on_stderr_line, ExitCode error_code);

// Blocks SIGINT/SIGTERM in the calling thread (call in main before starting threads, so only
// the signal thread receives them).
void block_termination_signals();

}  // namespace pgmigrate::process
