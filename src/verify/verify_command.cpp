#include "pgmigrate/verify/verify_command.hpp"

#include "pgmigrate/pg/wait.hpp"
#include "pgmigrate/pipeline/preflight.hpp"

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
#include "pgmigrate/pipeline/report.hpp"
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

// The report's "verify" section and its databases[] entries (through the progress board, as a
// migration run records them).
class VerifyRecord {
  public:
    VerifyRecord(pipeline::Report& report, pipeline::Context& ctx) : report_(report), ctx_(ctx) {
        section() = {{"level", pipeline::verify_level_name(ctx.options.verify_level)},
                     {"equal", nullptr},
                     {"roles", nullptr},
                     {"databases", nlohmann::json::array()}};
    }

    void roles(const SchemaDiff& diff) {
        section()["roles"] = {{"equal", diff.ok()}, {"differences", diff.differences}};
    }

    void start(const pipeline::SourceDatabase& db) {
        ctx_.progress.add(db);
        ctx_.progress.enter(db.name, pipeline::Phase::verifying);
    }

    void finish(const DatabaseResult& result, const std::vector<std::string>& differences) {
        if (!result.missing_on_target)
            ctx_.progress.record_verification(result.db, as_verify_report(result.data), false);
        bool ok = differences.empty();
        ctx_.progress.update(result.db, [&](pipeline::DatabaseProgress& p) {
            p.verified = ok;
            if (!ok)
                p.error = differences.size() == 1
                              ? differences.front()
                              : fmt::format("{} differences, the first: {}", differences.size(),
                                            differences.front());
        });
        ctx_.progress.enter(result.db, ok ? pipeline::Phase::complete : pipeline::Phase::failed);
        section()["databases"].push_back({{"name", result.db},
                                          {"equal", ok},
                                          {"missing_on_target", result.missing_on_target},
                                          {"differences", differences},
                                          {"notes", result.schema.notes}});
    }

    void done(bool equal) { section()["equal"] = equal; }

  private:
    nlohmann::json& section() { return report_.section("verify"); }

    pipeline::Report& report_;
    pipeline::Context& ctx_;
};

ExitCode verify_all(const pipeline::Config& config, pipeline::Report& report) {
    pg::wait_for_server(config.from, config.wait_for_servers);
    pg::wait_for_server(config.to, config.wait_for_servers);
    auto source_facts = pipeline::inspect_server(config.from);
    auto target_facts = pipeline::inspect_server(config.to);
    report.set_server(pg::Side::source, source_facts.major, source_facts.version_text);
    report.set_server(pg::Side::target, target_facts.major, target_facts.version_text);
    auto tools =
        process::select_client_tools(config.pg_bin_dir, source_facts.major, target_facts.major);
    spdlog::info("client tools: {}", tools.reason);
    pipeline::Context ctx(config, tools);
    ctx.source_major = source_facts.major;
    ctx.target_major = target_facts.major;
    ctx.source_version = source_facts.version_text;
    ctx.target_version = target_facts.version_text;
    pipeline::ReportCapture capture(report, ctx);  // the board's last state, also on an error
    VerifyRecord record(report, ctx);
    std::vector<pipeline::SourceDatabase> dbs;
    std::vector<std::string> names;
    for (const auto& d : pipeline::discover_databases(ctx)) {  // the run's own selection
        if (!d.migrated()) {
            ctx.progress.add(d);  // listed in the report's skipped_databases, with the reason
            continue;
        }
        dbs.push_back(d);
        names.push_back(d.name);
    }
    spdlog::info("verifying {} database(s) at the {} level: {}", dbs.size(),
                 pipeline::verify_level_name(config.verify_level), fmt::join(names, ", "));

    std::vector<std::string> lines;
    SchemaDiff roles;
    if (config.verify_level == Level::checksums) {
        auto src = pg::Connection::open(config.from, config.from.dbname);
        auto dst = pg::Connection::open(config.to, config.to.dbname);
        roles = compare_roles(src, dst);
        record.roles(roles);
        for (const auto& d : roles.differences) lines.push_back("roles: " + d);
    }
    int failed = 0;
    for (const auto& db : dbs) {
        cancel::throw_if_requested();
        record.start(db);
        auto result = verify_database(config, tools, db.name);
        std::vector<std::string> differences;
        if (result.missing_on_target) {
            differences.push_back("missing on the target");
        } else {
            spdlog::info("database \"{}\":\n{}", db.name, render_comparison(result.data));
            for (const auto& note : result.schema.notes)
                spdlog::info("database \"{}\": note: {}", db.name, note);
            differences = result.data.differences();
            differences.insert(differences.end(), result.schema.differences.begin(),
                               result.schema.differences.end());
        }
        record.finish(result, differences);
        if (differences.empty()) {
            spdlog::info("database \"{}\": equal ({} tables, {} rows{})", db.name,
                         result.data.tables.size(), result.data.rows_verified,
                         config.verify_level == Level::checksums ? ", checksums and schema"
                                                                 : ", row counts");
            continue;
        }
        ++failed;
        for (const auto& d : differences)
            lines.push_back(fmt::format("database \"{}\": {}", db.name, d));
    }
    record.done(lines.empty());
    if (lines.empty()) {
        std::cout << fmt::format(
            "verified: {} database(s) equal ({})\n", dbs.size(),
            config.verify_level == Level::checksums ? "checksums + schema" : "row counts");
        return ExitCode::ok;
    }
    std::cout << fmt::format("NOT equal: {} of {} database(s) differ{}\n", failed, dbs.size(),
                             roles.ok() ? "" : ", roles differ");
    for (const auto& line : lines) std::cout << "  " << line << "\n";
    return ExitCode::migration_failed;
}

}  // namespace

// --report is written on every way out, as for a migration run.
ExitCode run_verify(const pipeline::Config& config) {
    pipeline::Report report(config);
    return report.run([&] { return verify_all(config, report); });
}

}  // namespace pgmigrate::verify
