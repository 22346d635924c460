#pragma once
// RAII libpq connection and result. Every query has a timeout; on expiry the query is cancelled
// and its results drained, so the connection stays usable (or is marked broken).
#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgmigrate/pg/endpoint.hpp"

namespace pgmigrate::pg {

// A failed query or connection. sqlstate is empty when the server sent none.
class PgError : public Error {
  public:
    PgError(ExitCode code, const std::string& message, std::string sqlstate)
        : Error(code, message), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }

  private:
    std::string sqlstate_;
};

class Result {
  public:
    Result() = default;
    explicit Result(PGresult* res) : res_(res, &PQclear) {}

    int rows() const { return res_ ? PQntuples(res_.get()) : 0; }
    int columns() const { return res_ ? PQnfields(res_.get()) : 0; }
    bool is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
    std::string get(int row, int col) const { return PQgetvalue(res_.get(), row, col); }
    std::optional<std::string> get_optional(int row, int col) const;
    long long get_int(int row, int col) const;
    PGresult* raw() const { return res_.get(); }

  private:
    std::shared_ptr<PGresult> res_;
};

using Seconds = std::chrono::seconds;
inline constexpr Seconds kDefaultQueryTimeout{300};
// Counting a big table can take long; verification queries use this instead.
inline constexpr Seconds kLongQueryTimeout{24 * 3600};

class Connection {
  public:
    // Connects or throws PgError naming the server, database and user (never the password).
    static Connection open(const Endpoint& endpoint, const std::string& database);

    Connection(Connection&&) noexcept = default;
    Connection& operator=(Connection&&) noexcept = default;
    ~Connection() = default;

    // Runs SQL (optionally with $1.. text parameters). Throws PgError on failure or timeout.
    Result query(const std::string& sql, const std::vector<std::string>& params = {},
                 Seconds timeout = kDefaultQueryTimeout);
    // Runs one or more statements without parameters, ignoring results.
    void execute(const std::string& sql, Seconds timeout = kDefaultQueryTimeout);
    // Runs a COPY ... TO STDOUT and hands each data row (with its newline) to on_row as it
    // arrives. Throws PgError on failure or timeout, Cancelled on cancellation; both cancel the
    // COPY and drain it first, so the connection stays usable.
    void copy_out(const std::string& sql, const std::function<void(std::string_view)>& on_row,
                  Seconds timeout = kLongQueryTimeout);

    int server_version() const { return PQserverVersion(conn_.get()); }  // e.g. 150018
    int server_major() const { return server_version() / 10000; }
    // "15.18", as the server reports it.
    std::string server_version_text() const;
    bool healthy() const { return conn_ && !broken_ && PQstatus(conn_.get()) == CONNECTION_OK; }
    // For an idle connection: false when the server has closed or is closing the session (a
    // restart, a terminate), found without blocking instead of by the next query.
    bool still_alive();
    const std::string& database() const { return database_; }
    const Endpoint& endpoint() const { return endpoint_; }

  private:
    Connection(std::unique_ptr<PGconn, void (*)(PGconn*)> conn, const Endpoint& endpoint,
               std::string database);
    // One wait for the server: past the deadline or on a cancellation it gives up (`abandon`
    // ends the statement, then the reason is thrown: Cancelled or "<what> timed out"); otherwise
    // it polls for at most 250 ms and reads what arrived.
    void wait_once(std::chrono::steady_clock::time_point deadline, const char* what,
                   const std::string& sql, void (Connection::*abandon)());
    void wait_for_result(std::chrono::steady_clock::time_point deadline, const std::string& sql);
    void send_cancel();
    void cancel_and_drain();
    void abandon_copy_out();
    [[noreturn]] void fail(const std::string& what, const std::string& sql, PGresult* res);

    std::unique_ptr<PGconn, void (*)(PGconn*)> conn_;
    Endpoint endpoint_;  // its own copy: a connection outlives the object it was opened with
    std::string database_;
    bool broken_ = false;
};

}  // namespace pgmigrate::pg
