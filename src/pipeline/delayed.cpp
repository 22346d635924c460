#include "pgmigrate/pipeline/delayed.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <mutex>
#include <sstream>
#include <thread>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace {
constexpr const char* kFormat = "pg-migrate-delayed-indexes/1";

std::vector<SavedIndex> from_json(const nlohmann::json& doc, const std::string& file) {
    std::vector<SavedIndex> out;
    if (!doc.contains("indexes") || !doc["indexes"].is_array())
        throw Error(ExitCode::local, "state file " + file + " has no indexes array");
    for (const auto& i : doc["indexes"]) {
        try {
            out.push_back(
                {i.at("schema").get<std::string>(),
                 i.at("name").get<std::string>(),
                 {i.at("table_schema").get<std::string>(), i.at("table").get<std::string>()},
                 i.at("ddl").get<std::string>()});
        } catch (const nlohmann::json::exception& e) {
            throw Error(
                ExitCode::local,
                fmt::format("state file {} has a malformed index entry ({})", file, e.what()));
        }
    }
    return out;
}
}  // namespace

std::vector<SavedIndex> read_saved_indexes(Context& ctx, const std::string& db) {
    auto file = ctx.state.index_ddl_file(db);
    auto doc = ctx.state.read_json(file, kFormat);
    if (!doc)
        throw Error(ExitCode::local,
                    fmt::format("{} is missing although {} says the index definitions were "
                                "saved; the dropped indexes must be re-created by hand",
                                file.string(),
                                ctx.state.marker_path(db, Step::delayed_indexes_saved).string()));
    return from_json(*doc, file.string());
}

std::vector<SavedIndex> save_delayed_indexes(Context& ctx, const std::string& db,
                                             const std::set<TableKey>& tables) {
    auto file = ctx.state.index_ddl_file(db);
    std::vector<SavedIndex> indexes;
    auto conn = ctx.source(db);
    for (const auto& t : tables) {
        auto res = conn->query(pg::sql::kSecondaryIndexes, {t.schema, t.name});
        for (int i = 0; i < res.rows(); ++i)
            indexes.push_back(
                {res.get(i, 0), res.get(i, 1), {res.get(i, 2), res.get(i, 3)}, res.get(i, 4)});
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& i : indexes)
        list.push_back({{"schema", i.schema},
                        {"name", i.name},
                        {"table_schema", i.table.schema},
                        {"table", i.table.name},
                        {"ddl", i.ddl}});
    ctx.state.write_json(file, kFormat, {{"database", db}, {"indexes", list}});
    spdlog::info("[{}] saved {} secondary index definition(s) of delayed tables to {}", db,
                 indexes.size(), file.string());
    return indexes;
}

void drop_indexes(Context& ctx, const std::string& db, const std::vector<SavedIndex>& indexes) {
    auto conn = ctx.target(db);
    for (const auto& i : indexes) {
        conn->execute("DROP INDEX IF EXISTS " + pg::qualified_name(i.schema, i.name));
        spdlog::debug("[{}] dropped index {}.{}", db, i.schema, i.name);
    }
}

void recreate_indexes(Context& ctx, const std::string& db, const std::vector<SavedIndex>& indexes) {
    std::atomic<size_t> next{0};
    std::mutex mutex;
    std::exception_ptr error;
    auto worker = [&] {
        try {
            auto conn = ctx.target(db);
            for (size_t k = next++; k < indexes.size(); k = next++) {
                const auto& i = indexes[k];
                if (conn->query(pg::sql::kIndexExists, {i.schema, i.name}).rows() > 0) {
                    spdlog::debug("[{}] index {}.{} exists, skipped", db, i.schema, i.name);
                    continue;
                }
                conn->execute(i.ddl, pg::kLongQueryTimeout);
                spdlog::info("[{}] re-created index {}.{}", db, i.schema, i.name);
            }
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
            next = indexes.size();
        }
    };
    size_t n = std::min(indexes.size(), static_cast<size_t>(ctx.options.restore_jobs));
    std::vector<std::thread> threads;
    for (size_t t = 0; t < n; ++t) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

std::vector<DeferredForeignKey> foreign_keys_to_defer(pg::Connection& source,
                                                      const std::set<TableKey>& delayed) {
    std::vector<DeferredForeignKey> keys;
    if (delayed.empty()) return keys;
    // Qualified definitions; the search_path is put back for the queries that follow.
    source.execute("SET LOCAL search_path = ''");
    for (const auto& t : delayed) {
        auto res = source.query(pg::sql::kForeignKeysReferencing, {t.schema, t.name});
        for (int i = 0; i < res.rows(); ++i)
            keys.push_back({res.get(i, 0), res.get(i, 1), res.get(i, 2), res.get(i, 3),
                            res.get(i, 4), res.get(i, 5) == "t"});
    }
    source.execute("RESET search_path");
    return keys;
}

nlohmann::json foreign_keys_to_json(const std::vector<DeferredForeignKey>& keys) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& k : keys)
        out.push_back({{"oid", k.oid},
                       {"schema", k.schema},
                       {"table", k.table},
                       {"name", k.name},
                       {"definition", k.definition},
                       {"validated", k.validated}});
    return out;
}

std::vector<DeferredForeignKey> foreign_keys_from_json(const nlohmann::json& doc) {
    std::vector<DeferredForeignKey> keys;
    for (const auto& k : doc)
        keys.push_back({k.at("oid").get<std::string>(), k.at("schema").get<std::string>(),
                        k.at("table").get<std::string>(), k.at("name").get<std::string>(),
                        k.at("definition").get<std::string>(), k.at("validated").get<bool>()});
    return keys;
}

std::string exclude_from_restore_list(const std::string& list,
                                      const std::vector<DeferredForeignKey>& keys) {
    std::set<std::string> oids;
    for (const auto& k : keys) oids.insert(k.oid);
    std::string out;
    for (const auto& line : util::split_lines(list)) {
        // "<dump id>; <tableoid> <oid> FK CONSTRAINT <schema> <tag> <owner>"
        auto semi = line.find("; ");
        bool excluded = false;
        if (!line.empty() && line[0] != ';' && semi != std::string::npos) {
            std::istringstream fields(line.substr(semi + 2));
            std::string tableoid, oid, w1, w2;
            fields >> tableoid >> oid >> w1 >> w2;
            excluded = w1 == "FK" && w2 == "CONSTRAINT" && oids.count(oid) > 0;
        }
        out += (excluded ? ";" : "") + line + "\n";
    }
    return out;
}

void add_foreign_keys_not_valid(Context& ctx, const std::string& db,
                                const std::vector<DeferredForeignKey>& keys) {
    auto conn = ctx.target(db);
    for (const auto& k : keys) {
        conn->execute(fmt::format("ALTER TABLE ONLY {} ADD CONSTRAINT {} {} NOT VALID",
                                  pg::qualified_name(k.schema, k.table), pg::quote_ident(k.name),
                                  k.definition));
        spdlog::debug("[{}] foreign key {} added NOT VALID until the delayed data is in", db,
                      k.name);
    }
}

void validate_foreign_keys(Context& ctx, const std::string& db,
                           const std::vector<DeferredForeignKey>& keys) {
    auto conn = ctx.target(db);
    for (const auto& k : keys) {
        if (!k.validated) continue;  // NOT VALID on the source too
        conn->execute(fmt::format("ALTER TABLE {} VALIDATE CONSTRAINT {}",
                                  pg::qualified_name(k.schema, k.table), pg::quote_ident(k.name)),
                      pg::kLongQueryTimeout);
    }
}

void sync_sequences(Context& ctx, const std::string& db, const std::set<TableKey>& tables) {
    auto src = ctx.source(db);
    auto dst = ctx.target(db);
    for (const auto& t : tables) {
        auto seqs = src->query(pg::sql::kOwnedSequences, {t.schema, t.name});
        for (int i = 0; i < seqs.rows(); ++i) {
            std::string seq = pg::qualified_name(seqs.get(i, 0), seqs.get(i, 1));
            auto state = src->query("SELECT last_value, is_called FROM " + seq);
            dst->query(pg::sql::kSetSequence,
                       {seq, state.get(0, 0), state.get(0, 1) == "t" ? "true" : "false"});
        }
    }
}

}  // namespace pgmigrate::pipeline
