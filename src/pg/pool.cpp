#include "pgmigrate/pg/pool.hpp"

#include <spdlog/spdlog.h>

#include "pgmigrate/util/cancel.hpp"

namespace pgmigrate::pg {
namespace {

bool too_many_clients(const PgError& e) {
    const std::string msg = e.what();
    return e.sqlstate() == "53300" || msg.find("too many clients") != std::string::npos ||
           msg.find("remaining connection slots are reserved") != std::string::npos;
}

}  // namespace

PooledConnection::~PooledConnection() {
    if (conn_ && pool_) pool_->give_back(std::move(*conn_));
}

Pool::Pool(std::chrono::milliseconds idle_limit)
    : idle_limit_(idle_limit), reaper_([this] { reap_loop(); }) {}

Pool::~Pool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    reaper_.join();
}

void Pool::set_limit(Side side, int limit) {
    std::lock_guard lock(mutex_);
    limit_[side] = limit;
}

Pool::Key Pool::key_of(const Endpoint& endpoint, const std::string& database) {
    return {endpoint.side, endpoint.host + ":" + std::to_string(endpoint.port) + " " + endpoint.user,
            database};
}

std::optional<Connection> Pool::take_idle(const Key& key) {
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty()) {
        Connection conn = std::move(it->second.back().conn);
        it->second.pop_back();
        if (conn.still_alive()) return conn;
        --open_[std::get<0>(key)];  // the server closed it; it closes here
        changed_.notify_all();      // a waiter for this side may open one now
    }
    return std::nullopt;
}

// Closes the longest-idle connection of side (to another database); false when none is idle.
bool Pool::evict_idle_of(Side side, std::unique_lock<std::mutex>& lock) {
    auto oldest = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it)
        if (std::get<0>(it->first) == side && !it->second.empty() &&
            (oldest == idle_.end() || it->second.front().since < oldest->second.front().since))
            oldest = it;
    if (oldest == idle_.end()) return false;
    Connection doomed = std::move(oldest->second.front().conn);
    oldest->second.erase(oldest->second.begin());
    if (oldest->second.empty()) idle_.erase(oldest);
    lock.unlock();
    { Connection closing = std::move(doomed); }  // PQfinish outside the lock
    lock.lock();
    --open_[side];  // only once closed: the slot is not handed out while the old one still counts
    return true;
}

PooledConnection Pool::acquire(const Endpoint& endpoint, const std::string& database) {
    const Key key = key_of(endpoint, database);
    std::unique_lock lock(mutex_);
    while (true) {
        if (auto conn = take_idle(key)) return PooledConnection(this, std::move(*conn));
        int limit = limit_[endpoint.side];
        if (limit <= 0 || open_[endpoint.side] < limit) break;
        if (evict_idle_of(endpoint.side, lock)) continue;
        changed_.wait_for(lock, std::chrono::milliseconds(200));
        if (cancel::requested()) throw Cancelled();
    }
    ++open_[endpoint.side];  // reserved before connecting, so others count it
    lock.unlock();
    try {
        return PooledConnection(this, connect_with_retry(endpoint, database));
    } catch (...) {
        lock.lock();
        --open_[endpoint.side];
        changed_.notify_all();
        throw;
    }
}

Connection connect_with_retry(const Endpoint& endpoint, const std::string& database) {
    auto delay = std::chrono::milliseconds(250);
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool warned = false;
    while (true) {
        try {
            return Connection::open(endpoint, database);
        } catch (const PgError& e) {
            if (!too_many_clients(e) || std::chrono::steady_clock::now() + delay > give_up)
                throw;
            if (!warned)
                spdlog::warn("{} has no free connection slot (other clients); retrying for up "
                             "to a minute",
                             endpoint.describe(database));
            warned = true;
        }
        for (auto waited = std::chrono::milliseconds(0); waited < delay;
             waited += std::chrono::milliseconds(50)) {
            cancel::throw_if_requested();
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        delay = std::min(delay * 2, std::chrono::milliseconds(5000));
    }
}

void Pool::give_back(Connection conn) {
    std::unique_lock lock(mutex_);
    Side side = conn.endpoint().side;
    if (!conn.healthy() || stopping_) {
        --open_[side];
        lock.unlock();
        changed_.notify_all();
        return;  // closes here
    }
    idle_[key_of(conn.endpoint(), conn.database())].push_back(
        Idle{std::move(conn), std::chrono::steady_clock::now()});
    lock.unlock();
    changed_.notify_all();
}

void Pool::adopt(Connection conn) {
    std::unique_lock lock(mutex_);
    Side side = conn.endpoint().side;
    int limit = limit_[side];
    if (stopping_ || !conn.healthy() || (limit > 0 && open_[side] >= limit)) {
        lock.unlock();
        return;  // closes here, outside the lock
    }
    ++open_[side];
    idle_[key_of(conn.endpoint(), conn.database())].push_back(
        Idle{std::move(conn), std::chrono::steady_clock::now()});
    lock.unlock();
    changed_.notify_all();
}

size_t Pool::idle_count() const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& [key, list] : idle_) n += list.size();
    return n;
}

int Pool::open_count(Side side) const {
    std::lock_guard lock(mutex_);
    auto it = open_.find(side);
    return it == open_.end() ? 0 : it->second;
}

void Pool::clear() {
    std::map<Key, std::vector<Idle>> doomed;
    {
        std::lock_guard lock(mutex_);
        doomed.swap(idle_);
        for (const auto& [key, list] : doomed) open_[std::get<0>(key)] -= static_cast<int>(list.size());
    }
    changed_.notify_all();
}

void Pool::reap_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        changed_.wait_for(lock, std::chrono::seconds(1));
        auto cutoff = std::chrono::steady_clock::now() - idle_limit_;
        std::vector<Idle> doomed;
        for (auto it = idle_.begin(); it != idle_.end();) {
            auto& list = it->second;
            for (auto jt = list.begin(); jt != list.end();) {
                if (jt->since < cutoff) {
                    --open_[std::get<0>(it->first)];
                    doomed.push_back(std::move(*jt));
                    jt = list.erase(jt);
                } else {
                    ++jt;
                }
            }
            it = list.empty() ? idle_.erase(it) : std::next(it);
        }
        if (doomed.empty()) continue;
        lock.unlock();
        doomed.clear();  // PQfinish outside the lock
        changed_.notify_all();
        lock.lock();
    }
    idle_.clear();
}

}  // namespace pgmigrate::pg
