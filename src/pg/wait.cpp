#include "pgmigrate/pg/wait.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <regex>
#include <thread>
#include <vector>

#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/error.hpp"

namespace pgmigrate::pg {
namespace {

using Clock = std::chrono::steady_clock;

struct Attempt {
    bool ok = false;
    std::string message;  // libpq's, verbose (with the SQLSTATE of a server-sent error)
};

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    std::replace(s.begin(), s.end(), '\n', ' ');
    return s;
}

// One connection attempt. Non-blocking connect so that PQERRORS_VERBOSE is in effect before the
// server's startup reply arrives: that puts the SQLSTATE into the error message.
Attempt try_connect(const Endpoint& endpoint) {
    ConnectParams params(endpoint, endpoint.dbname);
    std::unique_ptr<PGconn, void (*)(PGconn*)> conn(
        PQconnectStartParams(params.keys(), params.values(), /*expand_dbname=*/0), &PQfinish);
    if (!conn) return {false, "out of memory creating a connection"};
    PQsetErrorVerbosity(conn.get(), PQERRORS_VERBOSE);
    if (PQstatus(conn.get()) == CONNECTION_BAD) return {false, trimmed(PQerrorMessage(conn.get()))};
    auto deadline = Clock::now() + std::chrono::seconds(endpoint.connect_timeout_seconds);
    PostgresPollingStatusType state = PGRES_POLLING_WRITING;
    while (state != PGRES_POLLING_OK && state != PGRES_POLLING_FAILED) {
        cancel::throw_if_requested();
        if (Clock::now() > deadline) return {false, "timeout expired"};
        pollfd pfd{PQsocket(conn.get()),
                   static_cast<short>(state == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
        int ready = ::poll(&pfd, 1, 200);
        if (ready == 0) continue;
        state = PQconnectPoll(conn.get());
    }
    if (state == PGRES_POLLING_OK) return {true, ""};
    return {false, trimmed(PQerrorMessage(conn.get()))};
}

}  // namespace

std::optional<std::string> sqlstate_in(const std::string& libpq_message) {
    static const std::regex re(R"((?:FATAL|ERROR|PANIC):\s+([0-9A-Z]{5}):)");
    std::smatch m;
    if (!std::regex_search(libpq_message, m, re)) return std::nullopt;
    return m[1].str();
}

bool is_transient_connect_failure(const std::string& libpq_message) {
    if (auto state = sqlstate_in(libpq_message))
        return *state == "57P03" || *state == "53300" || *state == "57P01";
    for (const char* text : {"Connection refused", "No such file or directory", "timeout expired",
                             "Connection reset by peer", "could not translate host name",
                             "server closed the connection unexpectedly", "No route to host"})
        if (libpq_message.find(text) != std::string::npos) return true;
    return false;
}

void wait_for_server(const Endpoint& endpoint, std::chrono::seconds limit) {
    if (limit.count() <= 0) return;
    auto started = Clock::now();
    auto deadline = started + limit;
    auto pause = std::chrono::milliseconds(500);
    for (int attempt = 1;; ++attempt) {
        Attempt a = try_connect(endpoint);
        if (a.ok) {
            if (attempt > 1)
                spdlog::info("{} accepts connections (after {} attempts, {:.1f} s)",
                             endpoint.describe(), attempt,
                             std::chrono::duration<double>(Clock::now() - started).count());
            return;
        }
        if (!is_transient_connect_failure(a.message))
            throw Error(endpoint.failure_code(),
                        fmt::format("cannot connect to {} (not retried by --wait-for-servers): {}",
                                    endpoint.describe(endpoint.dbname), a.message));
        auto left = deadline - Clock::now();
        if (left <= Clock::duration::zero())
            throw Error(endpoint.failure_code(),
                        fmt::format("{} did not accept connections within --wait-for-servers {}s: "
                                    "{}",
                                    endpoint.describe(endpoint.dbname), limit.count(), a.message));
        auto sleep = std::min<Clock::duration>(pause, left);
        spdlog::info("waiting for the {} ({:.1f} s of {}s used, retry in {:.1f} s): {}",
                     endpoint.describe(),
                     std::chrono::duration<double>(Clock::now() - started).count(), limit.count(),
                     std::chrono::duration<double>(sleep).count(), a.message);
        for (auto until = Clock::now() + sleep; Clock::now() < until;) {
            cancel::throw_if_requested();
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(5));
    }
}

}  // namespace pgmigrate::pg
