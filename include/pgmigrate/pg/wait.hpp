#pragma once
// Waiting for a server that is still starting (--wait-for-servers): the first connection is
// retried with back-off while the failure is one a starting server gives; anything else, above
// all a refused login, fails at once.
#include <chrono>
#include <optional>
#include <string>

#include "pgmigrate/pg/endpoint.hpp"

namespace pgmigrate::pg {

// The SQLSTATE in a verbose libpq message ("FATAL:  57P03:  the database system is ..."), if any.
std::optional<std::string> sqlstate_in(const std::string& libpq_message);

// True for failures a starting server gives: 57P03 (starting up / shutting down), 53300 (too
// many clients), 57P01 (admin shutdown, a restart), and client-side failures without a SQLSTATE
// that mean nothing listens yet: connection refused, no socket file, timeout, connection reset,
// host name not resolvable yet (a container not started). Everything else (28P01/28000 login
// failures, 3D000 no such database, TLS errors, bad parameters) is not transient.
bool is_transient_connect_failure(const std::string& libpq_message);

// Tries to connect to endpoint's dbname until it succeeds or `limit` has passed, sleeping
// 0.5 s, 1 s, 2 s, ... (at most 5 s) between attempts and logging each wait. limit 0: returns
// at once (the caller's first connection reports any error). Throws pgmigrate::Error with the
// side's exit code on a non-transient failure or when the limit passes; pgmigrate::Cancelled
// when the run is cancelled while waiting.
void wait_for_server(const Endpoint& endpoint, std::chrono::seconds limit);

}  // namespace pgmigrate::pg
