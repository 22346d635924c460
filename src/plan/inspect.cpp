#include "pgmigrate/plan/inspect.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/util/cancel.hpp"

namespace pgmigrate::plan {
namespace {

std::vector<std::string> split_list(const std::optional<std::string>& text) {
    std::vector<std::string> out;
    if (!text) return out;
    size_t start = 0;
    while (start <= text->size()) {
        size_t comma = text->find(", ", start);
        if (comma == std::string::npos) comma = text->size();
        if (comma > start) out.push_back(text->substr(start, comma - start));
        start = comma + 2;
    }
    return out;
}

DatabaseFacts inspect_database(pg::Connection& conn, int server_version, bool list_tables) {
    DatabaseFacts f;
    auto res = conn.query(pg::sql::plan_database_facts(server_version));
    f.tables = res.get_int(0, 0);
    f.large_objects = res.get_int(0, 1);
    f.extensions = split_list(res.get_optional(0, 2));
    f.tables_with_oids = split_list(res.get_optional(0, 3));
    f.removed_type_columns = split_list(res.get_optional(0, 4));
    f.postfix_operators = split_list(res.get_optional(0, 5));
    f.functions = res.get_int(0, 6);
    if (list_tables) {
        auto tables = conn.query(pg::sql::kUserTables);
        for (int i = 0; i < tables.rows(); ++i)
            f.user_tables.push_back({tables.get(i, 0), tables.get(i, 1)});
    }
    return f;
}

}  // namespace

ServerFacts inspect_server(pg::Connection& conn, pg::Side side) {
    ServerFacts s;
    s.version_number = conn.server_version();
    s.major = conn.server_major();
    s.version = conn.server_version_text();
    s.superuser = conn.query(pg::sql::kIsSuperuser).get(0, 0) == "t";
    s.limits = pipeline::read_server_limits(conn);
    auto roles = conn.query(pg::sql::plan_roles(s.version_number, s.superuser));
    for (int i = 0; i < roles.rows(); ++i)
        s.roles[roles.get(i, 0)] = {roles.get(i, 1), roles.get_optional(i, 2),
                                    roles.get(i, 3) == "t"};
    auto dbs = conn.query(pg::sql::kDatabaseNames);
    for (int i = 0; i < dbs.rows(); ++i) s.database_names.push_back(dbs.get(i, 0));
    if (side == pg::Side::target) {
        auto ext = conn.query(pg::sql::kAvailableExtensions);
        for (int i = 0; i < ext.rows(); ++i) s.available_extensions.push_back(ext.get(i, 0));
        s.password_encryption = conn.query(pg::sql::kPasswordEncryption).get(0, 0);
    }
    return s;
}

std::map<std::string, DatabaseFacts> inspect_databases(
    const pg::Endpoint& source, int server_version,
    const std::vector<pipeline::SourceDatabase>& dbs,
    const std::vector<std::string>& list_tables_of, int parallel) {
    std::vector<const pipeline::SourceDatabase*> todo;
    for (const auto& db : dbs)
        if (db.migrated()) todo.push_back(&db);
    std::map<std::string, DatabaseFacts> out;
    std::mutex mutex;
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < todo.size() && !cancel::requested(); i = next++) {
            const auto& name = todo[i]->name;
            bool list = std::find(list_tables_of.begin(), list_tables_of.end(), name) !=
                        list_tables_of.end();
            DatabaseFacts facts;
            try {
                auto conn = pg::Connection::open(source, name);
                facts = inspect_database(conn, server_version, list);
            } catch (const std::exception& e) {
                facts.error = e.what();
            }
            std::lock_guard lock(mutex);
            out[name] = std::move(facts);
        }
    };
    std::vector<std::thread> threads;
    int n = std::max(1, std::min<int>(parallel, static_cast<int>(todo.size())));
    for (int i = 0; i < n; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    cancel::throw_if_requested();
    return out;
}

}  // namespace pgmigrate::plan
