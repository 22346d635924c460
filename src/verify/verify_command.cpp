#include "pgmigrate/verify/verify_command.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <thread>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/process/pg_tools.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/text.hpp"
#include "pgmigrate/verify/catalog.hpp"
#include "pgmigrate/verify/compare.hpp"
#include "pgmigrate/verify/schema_compare.hpp"
#include "pgmigrate/verify/server_figures.hpp"
#include "pgmigrate/verify/session.hpp"

namespace pgmigrate::verify {
namespace {

// A source session in a REPEATABLE READ, read-only transaction: the coordinator exports its
// snapshot, workers import it, so every table is read as of one moment.
void begin_snapshot(pg::Connection& conn, const std::optional<std::string>& snapshot) {
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    if (snapshot) conn.execute("SET TRANSACTION SNAPSHOT " + pg::quote_literal(*snapshot));
}

// Stand-in for the pipeline's database filter: include/exclude as shell-style globs.
bool selected(const pipeline::Config& config, const std::string& db) {
    auto any = [&](const std::vector<std::string>& patterns) {
        return std::any_of(patterns.begin(), patterns.end(),
                           [&](const std::string& p) { return util::glob_match(p, db); });
    };
    if (!config.include_databases.empty() && !any(config.include_databases)) return false;
    return !any(config.exclude_databases);
}

struct DatabaseResult {
    std::string db;
    Comparison data;
    SchemaDiff schema;
    bool missing_on_target = false;
    bool ok() const { return !missing_on_target && data.ok() && schema.ok(); }
};

// Source and target figures of every table, read by up to `concurrency` pairs of sessions.
std::pair<Figures, Figures> read_table_figures(const pipeline::Config& config,
                                               const std::string& db, const std::string& snapshot,
                                               const std::vector<TableShape>& source_shapes,
                                               const std::vector<TableShape>& target_reads) {
    Figures source, target;
    source.level = target.level = config.verify_level;
    std::map<TableKey, const TableShape*> target_shape;
    for (const auto& s : target_reads) target_shape[s.table] = &s;
    std::atomic<size_t> next{0};
    std::mutex mutex;
    std::exception_ptr error;
    auto worker = [&] {
        try {
            std::optional<pg::Connection> src, dst;
            while (true) {
                size_t i = next.fetch_add(1);
                if (i >= source_shapes.size()) return;
                {
                    std::lock_guard lock(mutex);
                    if (error) return;
                }
                cancel::throw_if_requested();
                const TableShape& shape = source_shapes[i];
                if (!src) {
                    src.emplace(pg::Connection::open(config.from, db));
                    begin_snapshot(*src, snapshot);
                }
                auto src_figures = table_figures(*src, shape, config.verify_level);
                std::optional<TableFigures> dst_figures;
                if (auto it = target_shape.find(shape.table); it != target_shape.end()) {
                    if (!dst) dst.emplace(pg::Connection::open(config.to, db));
                    dst_figures = table_figures(*dst, *it->second, config.verify_level);
                }
                std::lock_guard lock(mutex);
                source.tables[shape.table] = src_figures;
                if (dst_figures) target.tables[shape.table] = *dst_figures;
            }
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
        }
    };
    size_t n = std::min<size_t>(source_shapes.size(),
                                static_cast<size_t>(std::max(1, config.verify_concurrency)));
    std::vector<std::thread> threads;
    for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
    return {std::move(source), std::move(target)};
}

DatabaseResult verify_database(const pipeline::Config& config, const process::ClientTools& tools,
                               const std::string& db) {
    DatabaseResult result;
    result.db = db;
    auto source = pg::Connection::open(config.from, db);
    {
        auto maintenance = pg::Connection::open(config.to, config.to.dbname);
        if (maintenance.query(pg::sql::kDatabaseExists, {db}).rows() == 0) {
            result.missing_on_target = true;
            return result;
        }
    }
    auto target = pg::Connection::open(config.to, db);
    begin_snapshot(source, std::nullopt);
    std::string snapshot = source.query(sql::kExportSnapshot).get(0, 0);
    auto shapes = read_table_shapes(source);
    auto reads = shapes_to_read(shapes, read_table_shapes(target));

    auto [src_figures, dst_figures] = read_table_figures(config, db, snapshot, shapes, reads);
    if (config.verify_level == Level::checksums) {
        src_figures.sequences = sequence_positions(source);
        dst_figures.sequences = sequence_positions(target);
        src_figures.large_objects = large_object_figures(source);
        dst_figures.large_objects = large_object_figures(target);
        result.schema = compare_schema(source, target, tools, db, std::nullopt, snapshot);
    }
    source.execute("COMMIT");
    result.data = compare_figures(src_figures, dst_figures, {});
    return result;
}

}  // namespace

ExitCode run_verify(const pipeline::Config& config) {
    auto tools = process::find_client_tools(config.pg_bin_dir);
    pipeline::Context ctx(config, tools);
    std::vector<std::string> dbs;
    for (const auto& d : pipeline::discover_databases(ctx))
        if (selected(config, d.name)) dbs.push_back(d.name);
    spdlog::info("verifying {} database(s) at the {} level: {}", dbs.size(),
                 pipeline::verify_level_name(config.verify_level), fmt::join(dbs, ", "));

    std::vector<std::string> report;
    SchemaDiff roles;
    if (config.verify_level == Level::checksums) {
        auto src = pg::Connection::open(config.from, config.from.dbname);
        auto dst = pg::Connection::open(config.to, config.to.dbname);
        roles = compare_roles(src, dst);
        for (const auto& d : roles.differences) report.push_back("roles: " + d);
    }
    int failed = 0;
    for (const auto& db : dbs) {
        cancel::throw_if_requested();
        auto result = verify_database(config, tools, db);
        if (result.missing_on_target) {
            report.push_back(fmt::format("database \"{}\": missing on the target", db));
            ++failed;
            continue;
        }
        spdlog::info("database \"{}\":\n{}", db, render_comparison(result.data));
        for (const auto& note : result.schema.notes)
            spdlog::info("database \"{}\": note: {}", db, note);
        if (result.ok()) {
            spdlog::info("database \"{}\": equal ({} tables, {} rows{})", db,
                         result.data.tables.size(), result.data.rows_verified,
                         config.verify_level == Level::checksums ? ", checksums and schema"
                                                                 : ", row counts");
            continue;
        }
        ++failed;
        for (const auto& d : result.data.differences())
            report.push_back(fmt::format("database \"{}\": {}", db, d));
        for (const auto& d : result.schema.differences)
            report.push_back(fmt::format("database \"{}\": {}", db, d));
    }
    if (report.empty()) {
        std::cout << fmt::format(
            "verified: {} database(s) equal ({})\n", dbs.size(),
            config.verify_level == Level::checksums ? "checksums + schema" : "row counts");
        return ExitCode::ok;
    }
    std::cout << fmt::format("NOT equal: {} of {} database(s) differ{}\n", failed, dbs.size(),
                             roles.ok() ? "" : ", roles differ");
    for (const auto& line : report) std::cout << "  " << line << "\n";
    return ExitCode::migration_failed;
}

}  // namespace pgmigrate::verify
