#pragma once
// A small cache of connections per (server, database), capped per server. A connection is bound
// to one database at handshake, so each key has its own idle list; idle ones close after
// idle_limit. When a server's cap is reached, an idle connection to another of its databases is
// closed to make room, or the caller waits (cancellably) until one comes back: the pool never
// holds more than the cap, which is what the connection budget (pipeline/budget) counts on. An
// evicted connection stops counting only once closed; the server's backend exits a moment after
// that, so pg_stat_activity can show one more for a few milliseconds; a connection refused in
// that moment ("too many clients") is retried by connect_with_retry.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <vector>

#include "pgmigrate/pg/connection.hpp"

namespace pgmigrate::pg {

class Pool;

// Connection::open, with "too many clients" (other applications' connections) retried with
// back-off for up to a minute. Throws PgError, or Cancelled when the run is cancelled meanwhile.
Connection connect_with_retry(const Endpoint& endpoint, const std::string& database);

// A connection borrowed from the pool; goes back (if still healthy) when destroyed.
class PooledConnection {
  public:
    PooledConnection(Pool* pool, Connection conn) : pool_(pool), conn_(std::move(conn)) {}
    PooledConnection(PooledConnection&& other) noexcept
        : pool_(other.pool_), conn_(std::move(other.conn_)) {
        other.conn_.reset();
    }
    PooledConnection& operator=(PooledConnection&&) = delete;
    ~PooledConnection();
    Connection* operator->() { return &*conn_; }
    Connection& operator*() { return *conn_; }

  private:
    Pool* pool_;
    std::optional<Connection> conn_;
};

class Pool {
  public:
    explicit Pool(std::chrono::milliseconds idle_limit = std::chrono::seconds(10));
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // At most `limit` connections (in use + idle) to the server of `side`; 0: no cap.
    void set_limit(Side side, int limit);
    // A connection to database on endpoint's server. Waits while the server's cap is reached;
    // "too many clients" from the server (other applications) is retried with back-off for up
    // to a minute. Throws PgError, or Cancelled when the run is cancelled while waiting.
    PooledConnection acquire(const Endpoint& endpoint, const std::string& database);
    // Takes a healthy connection opened outside the pool (a dump's snapshot connection, its
    // transaction ended) into the idle list, so that the next acquire of its database reuses it
    // instead of starting a backend; closes it instead when the server's cap is reached.
    void adopt(Connection conn);
    // Idle connections currently cached / all connections open now (for tests).
    size_t idle_count() const;
    int open_count(Side side) const;
    // Closes every idle connection now.
    void clear();

  private:
    friend class PooledConnection;
    // (side, "host:port user", database): by value, never by an Endpoint's address.
    using Key = std::tuple<Side, std::string, std::string>;
    struct Idle {
        Connection conn;
        std::chrono::steady_clock::time_point since;
    };
    static Key key_of(const Endpoint& endpoint, const std::string& database);
    std::optional<Connection> take_idle(const Key& key);
    bool evict_idle_of(Side side, std::unique_lock<std::mutex>& lock);
    void give_back(Connection conn);
    void reap_loop();

    std::chrono::milliseconds idle_limit_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;  // a connection came back or closed, or stopping
    bool stopping_ = false;
    std::map<Key, std::vector<Idle>> idle_;
    std::map<Side, int> limit_;
    std::map<Side, int> open_;
    std::thread reaper_;
};

}  // namespace pgmigrate::pg
