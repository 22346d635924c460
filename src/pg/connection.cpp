#include "pgmigrate/pg/connection.hpp"

#include <fmt/format.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>

#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/secrets.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pg {
namespace {

// The statement as an error message may show it: first line only, and never a password.
std::string first_line(const std::string& sql) {
    std::string line = util::mask_secrets(util::trim(sql.substr(0, sql.find('\n'))));
    return line.size() > 80 ? line.substr(0, 77) + "..." : line;
}

std::string libpq_message(PGconn* conn) {
    return util::trim(PQerrorMessage(conn));
}

}  // namespace

std::optional<std::string> Result::get_optional(int row, int col) const {
    if (is_null(row, col)) return std::nullopt;
    return get(row, col);
}

long long Result::get_int(int row, int col) const {
    return std::strtoll(PQgetvalue(res_.get(), row, col), nullptr, 10);
}

Connection::Connection(std::unique_ptr<PGconn, void (*)(PGconn*)> conn, const Endpoint& endpoint,
                       std::string database)
    : conn_(std::move(conn)), endpoint_(endpoint), database_(std::move(database)) {}

Connection Connection::open(const Endpoint& endpoint, const std::string& database) {
    ConnectParams params(endpoint, database);
    std::unique_ptr<PGconn, void (*)(PGconn*)> conn(
        PQconnectdbParams(params.keys(), params.values(), /*expand_dbname=*/0), &PQfinish);
    if (!conn) throw PgError(endpoint.failure_code(), "out of memory creating a connection", "");
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        throw PgError(endpoint.failure_code(),
                      fmt::format("cannot connect to {}: {}", endpoint.describe(database),
                                  libpq_message(conn.get())),
                      "08001");
    }
    return Connection(std::move(conn), endpoint, database);
}

void Connection::fail(const std::string& what, const std::string& sql, PGresult* res) {
    std::string sqlstate;
    std::string message;
    if (res) {
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state) sqlstate = state;
        message = util::trim(PQresultErrorMessage(res));
        PQclear(res);
    }
    if (message.empty()) message = libpq_message(conn_.get());
    if (PQstatus(conn_.get()) != CONNECTION_OK) broken_ = true;
    throw PgError(endpoint_.failure_code(),
                  fmt::format("{} failed on {} ({}): {}", what, endpoint_.describe(database_),
                              first_line(sql), message),
                  sqlstate);
}

void Connection::send_cancel() {
    if (PGcancel* cancel = PQgetCancel(conn_.get())) {
        char err[256];
        PQcancel(cancel, err, sizeof err);
        PQfreeCancel(cancel);
    }
}

void Connection::cancel_and_drain() {
    send_cancel();
    // Drain for a bounded time; if the server does not answer the connection is unusable.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (PQconsumeInput(conn_.get()) == 0) break;
        if (!PQisBusy(conn_.get())) {
            PGresult* r;
            while ((r = PQgetResult(conn_.get())) != nullptr) PQclear(r);
            return;
        }
        pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
        ::poll(&pfd, 1, 200);
    }
    broken_ = true;
}

void Connection::wait_once(std::chrono::steady_clock::time_point deadline, const char* what,
                           const std::string& sql, void (Connection::*abandon)()) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline || cancel::requested()) {
        (this->*abandon)();
        if (cancel::requested()) throw Cancelled();
        throw PgError(endpoint_.failure_code(),
                      fmt::format("{} timed out on {} ({})", what, endpoint_.describe(database_),
                                  first_line(sql)),
                      "57014");
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
    ::poll(&pfd, 1, static_cast<int>(std::min<long long>(left.count(), 250)));
    if (PQconsumeInput(conn_.get()) == 0) fail(what, sql, nullptr);
}

void Connection::wait_for_result(std::chrono::steady_clock::time_point deadline,
                                 const std::string& sql) {
    if (PQconsumeInput(conn_.get()) == 0) fail("query", sql, nullptr);
    while (PQisBusy(conn_.get())) wait_once(deadline, "query", sql, &Connection::cancel_and_drain);
}

Result Connection::query(const std::string& sql, const std::vector<std::string>& params,
                         Seconds timeout) {
    cancel::throw_if_requested();
    std::vector<const char*> values;
    for (const auto& p : params) values.push_back(p.c_str());
    int sent = params.empty()
                   ? PQsendQuery(conn_.get(), sql.c_str())
                   : PQsendQueryParams(conn_.get(), sql.c_str(), static_cast<int>(params.size()),
                                       nullptr, values.data(), nullptr, nullptr, 0);
    if (sent == 0) fail("query", sql, nullptr);
    auto deadline = std::chrono::steady_clock::now() + timeout;

    PGresult* last = nullptr;
    PGresult* error = nullptr;
    while (true) {
        wait_for_result(deadline, sql);
        PGresult* res = PQgetResult(conn_.get());
        if (!res) break;
        auto status = PQresultStatus(res);
        if (status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE) {
            if (error) PQclear(error);
            error = res;
        } else {
            if (last) PQclear(last);
            last = res;
        }
    }
    if (error) {
        if (last) PQclear(last);
        fail("query", sql, error);
    }
    return Result(last);
}

bool Connection::still_alive() {
    if (!healthy()) return false;
    // An idle session gets nothing from the server unless it is being closed (shutdown,
    // terminate, restart): anything readable means this connection is no longer usable.
    pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
    if (::poll(&pfd, 1, 0) != 0) {
        broken_ = true;
        return false;
    }
    return true;
}

std::string Connection::server_version_text() const {
    const char* v = PQparameterStatus(conn_.get(), "server_version");
    return v ? util::trim(std::string(v).substr(0, std::string(v).find(' ')))
             : std::to_string(server_version());
}

void Connection::abandon_copy_out() {
    send_cancel();
    // Whether the COPY has started or not: results are read (and COPY rows dropped) until the
    // server ends the statement with the cancel error, for a bounded time.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    auto wait = [&] {
        pollfd pfd{PQsocket(conn_.get()), POLLIN, 0};
        ::poll(&pfd, 1, 200);
        return PQconsumeInput(conn_.get()) != 0;
    };
    while (std::chrono::steady_clock::now() < deadline) {
        if (PQconsumeInput(conn_.get()) == 0) break;
        if (PQisBusy(conn_.get())) {
            if (!wait()) break;
            continue;
        }
        PGresult* res = PQgetResult(conn_.get());
        if (!res) return;  // drained: the connection is idle again
        bool copying = PQresultStatus(res) == PGRES_COPY_OUT;
        PQclear(res);
        while (copying && std::chrono::steady_clock::now() < deadline) {
            char* buffer = nullptr;
            int n = PQgetCopyData(conn_.get(), &buffer, /*async=*/1);
            if (n > 0) {
                PQfreemem(buffer);
            } else if (n == -1) {
                copying = false;  // the COPY ended; its final result follows
            } else if (n == -2 || !wait()) {
                broken_ = true;
                return;
            }
        }
    }
    broken_ = true;
}

void Connection::copy_out(const std::string& sql,
                          const std::function<void(std::string_view)>& on_row, Seconds timeout) {
    cancel::throw_if_requested();
    if (PQsendQuery(conn_.get(), sql.c_str()) == 0) fail("COPY", sql, nullptr);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto wait_or_give_up = [&] { wait_once(deadline, "COPY", sql, &Connection::abandon_copy_out); };
    while (PQisBusy(conn_.get())) wait_or_give_up();
    PGresult* start = PQgetResult(conn_.get());
    if (!start || PQresultStatus(start) != PGRES_COPY_OUT) {
        // An error before any row (no such table or column): drain the rest, then report it.
        PGresult* r;
        while ((r = PQgetResult(conn_.get())) != nullptr) PQclear(r);
        fail("COPY", sql, start);
    }
    PQclear(start);
    while (true) {
        char* buffer = nullptr;
        int n = PQgetCopyData(conn_.get(), &buffer, /*async=*/1);
        if (n > 0) {
            try {
                on_row(std::string_view(buffer, static_cast<size_t>(n)));
            } catch (...) {
                PQfreemem(buffer);
                abandon_copy_out();
                throw;
            }
            PQfreemem(buffer);
            continue;
        }
        if (n == -1) break;  // the COPY is complete; its result follows
        if (n == -2) fail("COPY", sql, nullptr);
        wait_or_give_up();
    }
    PGresult* error = nullptr;
    while (true) {
        while (PQisBusy(conn_.get())) wait_or_give_up();
        PGresult* res = PQgetResult(conn_.get());
        if (!res) break;
        if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
            if (error) PQclear(error);
            error = res;
        } else {
            PQclear(res);
        }
    }
    if (error) fail("COPY", sql, error);
}

void Connection::execute(const std::string& sql, Seconds timeout) {
    query(sql, {}, timeout);
}

}  // namespace pgmigrate::pg
