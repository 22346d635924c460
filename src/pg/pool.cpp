#include "pgmigrate/pg/pool.hpp"

namespace pgmigrate::pg {

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
    stop_cv_.notify_all();
    reaper_.join();
}

PooledConnection Pool::acquire(const Endpoint& endpoint, const std::string& database) {
    {
        std::lock_guard lock(mutex_);
        auto it = idle_.find(Key{&endpoint, database});
        while (it != idle_.end() && !it->second.empty()) {
            Connection conn = std::move(it->second.back().conn);
            it->second.pop_back();
            if (conn.still_alive()) return PooledConnection(this, std::move(conn));
        }
    }
    return PooledConnection(this, Connection::open(endpoint, database));
}

void Pool::give_back(Connection conn) {
    if (!conn.healthy()) return;
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    Key key{&conn.endpoint(), conn.database()};
    idle_[key].push_back(Idle{std::move(conn), std::chrono::steady_clock::now()});
}

size_t Pool::idle_count() const {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& [key, list] : idle_) n += list.size();
    return n;
}

void Pool::clear() {
    std::map<Key, std::vector<Idle>> doomed;
    {
        std::lock_guard lock(mutex_);
        doomed.swap(idle_);
    }
}

void Pool::reap_loop() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        stop_cv_.wait_for(lock, std::chrono::seconds(1));
        auto cutoff = std::chrono::steady_clock::now() - idle_limit_;
        std::vector<Idle> doomed;
        for (auto it = idle_.begin(); it != idle_.end();) {
            auto& list = it->second;
            for (auto jt = list.begin(); jt != list.end();) {
                if (jt->since < cutoff) {
                    doomed.push_back(std::move(*jt));
                    jt = list.erase(jt);
                } else {
                    ++jt;
                }
            }
            it = list.empty() ? idle_.erase(it) : std::next(it);
        }
        lock.unlock();
        doomed.clear();  // PQfinish outside the lock
        lock.lock();
    }
    idle_.clear();
}

}  // namespace pgmigrate::pg
