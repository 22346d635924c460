#pragma once
// Logging: spdlog to stderr, level from RUST_LOG (as the original tool documents), timestamps on
// every line, colour only on a terminal. Every message passes util::mask_secrets
// (util/secrets.hpp).
#include <spdlog/spdlog.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace pgmigrate::util {

// Parses RUST_LOG-style text ("info", "debug", "pg_migrate=warn,info"). nullopt when unknown.
std::optional<spdlog::level::level_enum> parse_log_level(std::string_view text);

// Installs the stderr logger. live_terminal: stderr is a TTY and the live display may be used.
void init_logging(spdlog::level::level_enum level, bool live_terminal);

// Called with every warning and error message (secrets masked, no timestamp) logged through the
// installed logger, e.g. to collect them into the run report. Empty: none. One at a time.
using MessageObserver = std::function<void(spdlog::level::level_enum, const std::string&)>;
void set_message_observer(MessageObserver observer);

}  // namespace pgmigrate::util
