#pragma once
// A small cache of idle connections per (server, database). A connection is bound to one
// database at handshake, so each key has its own idle list; idle ones close after idle_limit.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "pgmigrate/pg/connection.hpp"

namespace pgmigrate::pg {

class Pool;

// A connection borrowed from the pool; goes back (if still healthy) when destroyed.
class PooledConnection {
  public:
    PooledConnection(Pool* pool, Connection conn) : pool_(pool), conn_(std::move(conn)) {}
    PooledConnection(PooledConnection&&) noexcept = default;
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

    PooledConnection acquire(const Endpoint& endpoint, const std::string& database);
    // Idle connections currently cached (for tests and the connection-budget log).
    size_t idle_count() const;
    // Closes every idle connection now.
    void clear();

  private:
    friend class PooledConnection;
    using Key = std::pair<const Endpoint*, std::string>;
    struct Idle {
        Connection conn;
        std::chrono::steady_clock::time_point since;
    };
    void give_back(Connection conn);
    void reap_loop();

    std::chrono::milliseconds idle_limit_;
    mutable std::mutex mutex_;
    std::condition_variable stop_cv_;
    bool stopping_ = false;
    std::map<Key, std::vector<Idle>> idle_;
    std::thread reaper_;
};

}  // namespace pgmigrate::pg
