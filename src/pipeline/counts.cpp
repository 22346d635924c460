#include "pgmigrate/pipeline/counts.hpp"

#include <fmt/format.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/parallel.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace {
const pg::Endpoint& endpoint(Context& ctx, pg::Side side) {
    return side == pg::Side::source ? ctx.options.from : ctx.options.to;
}
}  // namespace

void for_each_counted(Context& ctx, size_t n, const std::function<void(size_t)>& work) {
    util::parallel_for(n, static_cast<size_t>(ctx.options.verify_concurrency), [&](size_t i) {
        SlotGuard slot(ctx.count_slots);
        work(i);
    });
}

TableCounts count_estimated(Context& ctx, pg::Side side, const std::string& db) {
    SlotGuard slot(ctx.count_slots);
    auto conn = ctx.pool.acquire(endpoint(ctx, side), db);
    auto res = conn->query(pg::sql::kUserTables);
    TableCounts counts;
    for (int i = 0; i < res.rows(); ++i) counts[{res.get(i, 0), res.get(i, 1)}] = res.get_int(i, 2);
    return counts;
}

nlohmann::json counts_to_json(const std::string& db, const std::string& mode,
                              const TableCounts& counts) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& [key, rows] : counts)
        tables.push_back({{"schema", key.schema}, {"table", key.name}, {"rows", rows}});
    return {{"database", db}, {"mode", mode}, {"tables", tables}};
}

TableCounts counts_from_json(const nlohmann::json& doc, const std::string& db,
                             const std::string& file) {
    auto bad = [&](const std::string& why) {
        return Error(ExitCode::local, fmt::format("state file {} is invalid ({}); delete it to "
                                                  "count again",
                                                  file, why));
    };
    if (!doc.contains("database") || doc["database"] != db) throw bad("it is for another database");
    if (!doc.contains("tables") || !doc["tables"].is_array()) throw bad("no tables array");
    TableCounts counts;
    for (const auto& t : doc["tables"]) {
        if (!t.is_object() || !t.contains("schema") || !t.contains("table") ||
            !t.contains("rows") || !t["schema"].is_string() || !t["table"].is_string() ||
            !t["rows"].is_number_integer() || t["rows"].get<long long>() < 0)
            throw bad("malformed table entry");
        counts[{t["schema"].get<std::string>(), t["table"].get<std::string>()}] =
            t["rows"].get<long long>();
    }
    return counts;
}

VerifyReport compare_counts(const TableCounts& source, const TableCounts& dest,
                            const std::set<TableKey>& skip, const std::set<TableKey>& estimated) {
    VerifyReport report;
    std::set<TableKey> all;
    for (const auto& [k, v] : source) all.insert(k);
    for (const auto& [k, v] : dest) all.insert(k);
    for (const auto& key : all) {
        if (skip.count(key)) continue;
        VerifyRow row;
        row.table = key;
        if (auto it = source.find(key); it != source.end()) row.source = it->second;
        if (auto it = dest.find(key); it != dest.end()) row.dest = it->second;
        row.exact = !estimated.count(key);
        if (!row.source || !row.dest) {
            if (!row.source) continue;  // a table only on the target is not ours to judge
            row.status = VerifyRow::Status::missing;
            ++report.failures;
        } else if (*row.source != *row.dest) {
            row.status = row.exact ? VerifyRow::Status::mismatch : VerifyRow::Status::warning;
            (row.exact ? report.failures : report.warnings)++;
        } else {
            report.rows_verified += *row.source;
        }
        report.rows.push_back(row);
    }
    return report;
}

std::string render_verify_report(const VerifyReport& report) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : report.rows) {
        const char* status = r.status == VerifyRow::Status::ok         ? "ok"
                             : r.status == VerifyRow::Status::mismatch ? "MISMATCH"
                             : r.status == VerifyRow::Status::missing  ? "MISSING ON TARGET"
                                                                       : "differs (estimate)";
        auto cell = [&](const std::optional<long long>& v) {
            return v ? fmt::format("{}{}", r.exact ? "" : "~", *v) : std::string("-");
        };
        rows.push_back({r.table.display(), cell(r.source), cell(r.dest), status});
    }
    return util::render_table({"table", "source rows", "dest rows", "status"}, rows, {1, 2});
}

}  // namespace pgmigrate::pipeline
