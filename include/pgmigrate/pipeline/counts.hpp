#pragma once
// Row counts on both sides and their comparison. Exact counts are one count(*) per table, all
// queries of all databases and both servers together capped by --verify-concurrency; fast
// counts are one pg_class.reltuples query per side.
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

std::vector<TableKey> list_source_tables(Context& ctx, const std::string& db);

// count(*) of each table on one side.
TableCounts count_exact(Context& ctx, pg::Side side, const std::string& db,
                        const std::vector<TableKey>& tables);
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
