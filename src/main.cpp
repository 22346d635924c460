// pg-migrate entry point: parse the command line, set up logging and signal handling, run.
// The one place where errors turn into messages and exit codes.
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

#include "pgmigrate/cli/options.hpp"
#include "pgmigrate/pipeline/migration.hpp"
#include "pgmigrate/plan/plan.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/live_area.hpp"
#include "pgmigrate/util/log.hpp"
#include "pgmigrate/util/secrets.hpp"
#include "pgmigrate/verify/verify_command.hpp"

namespace {

using pgmigrate::ExitCode;

// SIGINT/SIGTERM are blocked in every thread and taken here: the first cancels the run
// gracefully (children stopped, target settings put back), a second exits at once.
void start_signal_thread() {
    std::thread([] {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        int count = 0;
        while (true) {
            int signo = 0;
            if (sigwait(&set, &signo) != 0) continue;
            if (++count == 1) {
                pgmigrate::cancel::request(signo);
                spdlog::warn(
                    "received {}: stopping child processes and putting the target's "
                    "settings back; send it again to exit at once",
                    signo == SIGINT ? "SIGINT" : "SIGTERM");
            } else {
                const char msg[] = "pg-migrate: second signal, exiting now\n";
                ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
                (void)ignored;
                std::_Exit(128 + signo);
            }
        }
    }).detach();
}

// Overwrites a password given on the command line so it does not linger in /proc/<pid>/cmdline.
void scrub_password_arguments(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        for (const char* flag : {"--from-pass", "--to-pass"}) {
            size_t n = std::strlen(flag);
            if (std::strcmp(argv[i], flag) == 0 && i + 1 < argc) {
                std::memset(argv[i + 1], 'x', std::strlen(argv[i + 1]));
            } else if (std::strncmp(argv[i], flag, n) == 0 && argv[i][n] == '=') {
                std::memset(argv[i] + n + 1, 'x', std::strlen(argv[i] + n + 1));
            }
        }
    }
}

int exit_with(ExitCode code) {
    return static_cast<int>(code);
}

}  // namespace

int main(int argc, char** argv) {
    auto parsed = pgmigrate::cli::parse_command_line(argc, argv);
    scrub_password_arguments(argc, argv);
    if (parsed.status == pgmigrate::cli::ParseStatus::exit_ok) {
        std::cout << parsed.message;
        return 0;
    }
    if (parsed.status == pgmigrate::cli::ParseStatus::exit_usage) {
        std::cerr << "pg-migrate: " << parsed.message << " (see --help)\n";
        return exit_with(ExitCode::usage);
    }
    const auto& options = parsed.options;

    auto level = spdlog::level::info;
    if (const char* rust_log = std::getenv("RUST_LOG"); rust_log && *rust_log) {
        auto parsed_level = pgmigrate::util::parse_log_level(rust_log);
        if (!parsed_level) {
            std::cerr << "pg-migrate: RUST_LOG='" << rust_log
                      << "' is not one of error, warn, info, debug, trace (see --help)\n";
            return exit_with(ExitCode::usage);
        }
        level = *parsed_level;
    }
    pgmigrate::util::init_logging(level, isatty(STDERR_FILENO) != 0 && options.progress);
    for (const auto* ep : {&options.from, &options.to})
        if (ep->password) pgmigrate::util::register_secret(*ep->password);

    pgmigrate::process::block_termination_signals();
    start_signal_thread();

    ExitCode code = ExitCode::ok;
    try {
        switch (options.command) {
            case pgmigrate::pipeline::Command::migrate:
                code = pgmigrate::pipeline::run_migration(options);
                break;
            case pgmigrate::pipeline::Command::plan:
                code = pgmigrate::plan::run_plan(options);
                break;
            case pgmigrate::pipeline::Command::verify:
                code = pgmigrate::verify::run_verify(options);
                break;
        }
    } catch (const pgmigrate::Cancelled&) {
        int sig = pgmigrate::cancel::signal_number();
        spdlog::warn("interrupted before any database work finished; run again to resume");
        code = sig == SIGTERM ? ExitCode::terminated : ExitCode::interrupted;
    } catch (const pgmigrate::Error& e) {
        spdlog::error("{}", e.what());
        code = pgmigrate::cancel::requested()
                   ? (pgmigrate::cancel::signal_number() == SIGTERM ? ExitCode::terminated
                                                                    : ExitCode::interrupted)
                   : e.code();
    } catch (const std::exception& e) {
        spdlog::critical("internal error: {}", e.what());
        code = ExitCode::migration_failed;
    }
    pgmigrate::util::LiveArea::instance().close();
    return exit_with(code);
}
