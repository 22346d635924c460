#pragma once
// The session settings that change how values are printed, pinned to one value on every side
// that produces text to compare: pg_dump (source data), pg_restore (so text parses back the
// same, e.g. money under lc_monetary) and the COPY ... TO STDOUT reads of verification.
#include <string>
#include <utility>
#include <vector>

namespace pgmigrate::pg {
class Connection;
}

namespace pgmigrate::verify {

// (name, value) of every pinned setting, in the order they are applied.
const std::vector<std::pair<std::string, std::string>>& pinned_settings();

// "-c DateStyle=ISO -c IntervalStyle=postgres ...": the PGOPTIONS value for pg_dump and
// pg_restore children. An operator's own PGOPTIONS, when set, goes before it.
std::string pinned_pgoptions();

// The child environment entry PGOPTIONS=<existing PGOPTIONS> <pinned_pgoptions()>.
std::pair<std::string, std::string> pinned_pgoptions_environment();

// SETs every pinned setting on the session, plus client_encoding to the database encoding
// (what pg_dump writes its data in).
void pin_session_settings(pg::Connection& conn);
// RESETs them to the session's defaults (client_encoding back to the UTF8 pg-migrate connects
// with), so a pooled connection goes back as it came.
void unpin_session_settings(pg::Connection& conn);

// Pins for its lifetime. The reset at the end is best effort: a connection whose transaction
// failed resets nothing (and is rolled back or closed by its owner anyway).
class PinnedSession {
  public:
    explicit PinnedSession(pg::Connection& conn);
    ~PinnedSession();
    PinnedSession(const PinnedSession&) = delete;
    PinnedSession& operator=(const PinnedSession&) = delete;

  private:
    pg::Connection& conn_;
};

}  // namespace pgmigrate::verify
