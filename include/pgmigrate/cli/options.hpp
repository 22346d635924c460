#pragma once
// Flags and PG_MIGRATE_* environment variables -> the engine's pipeline::Config.
#include <string>

#include "pgmigrate/pipeline/config.hpp"

namespace pgmigrate::cli {

enum class ParseStatus { run, exit_ok, exit_usage };

struct ParseResult {
    ParseStatus status = ParseStatus::run;
    pipeline::Config options;
    std::string message;  // help/version text (exit_ok) or the one-line error (exit_usage)
};

// Parses argv and the environment. Never exits the process and never prints.
ParseResult parse_command_line(int argc, const char* const* argv);

}  // namespace pgmigrate::cli
