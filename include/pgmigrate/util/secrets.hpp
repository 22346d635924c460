#pragma once
// Passwords never reach a log line, an error message or a report: mask_secrets is the one place
// that hides them, and every message that may hold one passes through it (the log sink, the SQL
// a failed statement shows, the globals that are skipped or fail).
#include <string>
#include <string_view>

namespace pgmigrate::util {

// A password given to pg-migrate (the source's, the target's). Masked where it stands as a value
// (see mask_secrets); registering the same secret twice is harmless.
void register_secret(const std::string& secret);
// Undoes one register_secret (tests clean up after themselves).
void forget_secret(const std::string& secret);

// The text with every password value replaced by "********":
// - the value of a key ending in "password" (password=..., sslpassword='...', PGPASSWORD=...),
// - the literal after the SQL keyword PASSWORD (PASSWORD '...', PASSWORD E'...'), any case,
// - a registered secret that is a whole SQL literal ('secret'), but not a conninfo value of
//   another key (user='postgres' stays).
// A registered secret elsewhere stays: a password "postgres" must not blank the user and
// database names "postgres" in every line.
std::string mask_secrets(std::string_view text);

}  // namespace pgmigrate::util
