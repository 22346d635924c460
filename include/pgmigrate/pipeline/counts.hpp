#pragma once
// The --fast-verify estimates (one pg_class.reltuples query per side) and their comparison, and
// the bounded parallel loop every verification read runs in (--verify-concurrency slots).
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pgmigrate/pg/endpoint.hpp"
#include "pgmigrate/pipeline/table.hpp"

namespace pgmigrate::pipeline {

class Context;

using TableCounts = std::map<TableKey, long long>;

// Runs work(0..n-1) on up to --verify-concurrency threads, each call holding a count slot; the
// first error stops the rest and is rethrown. The verification reads of every database share
// the slots, so all of them together stay within the connection budget.
void for_each_counted(Context& ctx, size_t n, const std::function<void(size_t)>& work);
template <typename T, typename F>
void for_each_bounded(Context& ctx, const std::vector<T>& items, F&& f) {
    for_each_counted(ctx, items.size(), [&](size_t i) { f(items[i]); });
}
// reltuples of every table on one side.
TableCounts count_estimated(Context& ctx, pg::Side side, const std::string& db);

nlohmann::json counts_to_json(const std::string& db, const std::string& mode,
                              const TableCounts& counts);
// Throws pgmigrate::Error when the document is not a counts document for db.
TableCounts counts_from_json(const nlohmann::json& doc, const std::string& db,
                             const std::string& file);

struct VerifyRow {
    TableKey table;
    std::optional<long long> source, dest;
    bool exact = true;  // exact count(*) on both sides
    enum class Status { ok, mismatch, warning, missing } status = Status::ok;
};

struct VerifyReport {
    std::vector<VerifyRow> rows;
    int failures = 0;
    int warnings = 0;
    long long rows_verified = 0;  // sum of source rows over matching tables
    bool ok() const { return failures == 0; }
};

// Compares the two sides. Tables in `skip` (delayed tables in the regular phase) are left out.
// Estimated (non-exact) rows turn mismatches into warnings.
VerifyReport compare_counts(const TableCounts& source, const TableCounts& dest,
                            const std::set<TableKey>& skip, const std::set<TableKey>& estimated);
// The verification table: table, source rows, dest rows, status.
std::string render_verify_report(const VerifyReport& report);

}  // namespace pgmigrate::pipeline
