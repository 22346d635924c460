#pragma once
// One side of the migration (source or target server) and how to reach it: what libpq needs,
// what a child tool needs, and how to name it in a message. The password never leaves this
// type except through libpq's parameters or a child's PGPASSWORD.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/util/error.hpp"

namespace pgmigrate::pg {

enum class Side { source, target };

struct Endpoint {
    Side side = Side::source;
    std::string host = "localhost";
    int port = 5432;
    std::string user = "postgres";
    std::optional<std::string> password;  // nullopt: libpq's own lookup (PGPASSWORD, .pgpass)
    std::string dbname = "postgres";      // the database for discovery / ALTER SYSTEM / globals
    // libpq TLS and extra keywords (sslmode, sslrootcert, sslcert, sslkey, ...).
    std::map<std::string, std::string> options;
    int connect_timeout_seconds = 10;

    // "source server 10.0.0.5:5432"
    std::string describe() const;
    // "source server 10.0.0.5:5432, database "app", user postgres"
    std::string describe(const std::string& database) const;
    // Exit code for a failure on this side.
    ExitCode failure_code() const {
        return side == Side::source ? ExitCode::source : ExitCode::target;
    }

    // libpq keyword/value pairs for PQconnectdbParams (password included when known).
    std::vector<std::pair<std::string, std::string>> libpq_params(
        const std::string& database) const;
    // A conninfo string for a child's --dbname: host, port, user, dbname, TLS options; never the
    // password.
    std::string child_conninfo(const std::string& database) const;
    // Extra environment for a child process (PGPASSWORD when known).
    std::vector<std::pair<std::string, std::string>> child_environment() const;
};

const char* side_name(Side side);

// An endpoint's libpq parameters as PQconnectdbParams/PQconnectStartParams take them: two
// null-terminated arrays pointing into this object (keep it alive for the call).
class ConnectParams {
  public:
    ConnectParams(const Endpoint& endpoint, const std::string& database);
    ConnectParams(const ConnectParams&) = delete;
    ConnectParams& operator=(const ConnectParams&) = delete;
    const char* const* keys() const { return keys_.data(); }
    const char* const* values() const { return values_.data(); }

  private:
    std::vector<std::pair<std::string, std::string>> params_;
    std::vector<const char*> keys_, values_;
};

}  // namespace pgmigrate::pg
