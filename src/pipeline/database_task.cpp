#include "pgmigrate/pipeline/database_task.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/analyze.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/pipeline/delayed.hpp"
#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/verify/compare.hpp"
#include "pgmigrate/verify/dump_figures.hpp"
#include "pgmigrate/verify/schema_compare.hpp"
#include "pgmigrate/verify/server_figures.hpp"
#include "pgmigrate/verify/session.hpp"

namespace pgmigrate::pipeline {
namespace fs = std::filesystem;
namespace {

nlohmann::json tables_to_json(const std::vector<TableKey>& tables) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : tables) out.push_back({t.schema, t.name});
    return out;
}

std::vector<TableKey> tables_from_json(const nlohmann::json& doc) {
    std::vector<TableKey> out;
    for (const auto& t : doc)
        out.push_back({t.at(0).get<std::string>(), t.at(1).get<std::string>()});
    return out;
}

std::string names(const std::set<TableKey>& tables) {
    std::string out;
    for (const auto& t : tables) out += (out.empty() ? "" : ", ") + t.display();
    return out;
}

// Inserted + updated + deleted rows per table since the statistics were reset: compared with
// the snapshot's figures to tell how far the source has moved on since.
TableCounts change_counters(pg::Connection& conn) {
    TableCounts out;
    auto res = conn.query(pg::sql::kTableChangeCounters);
    for (int i = 0; i < res.rows(); ++i) out[{res.get(i, 0), res.get(i, 1)}] = res.get_int(i, 2);
    return out;
}

nlohmann::json shapes_to_json(const std::vector<verify::TableShape>& shapes) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : shapes) {
        nlohmann::json kinds = nlohmann::json::array();
        for (const auto& k : s.kinds) kinds.push_back(k.name());
        out.push_back({{"schema", s.table.schema},
                       {"table", s.table.name},
                       {"oid", s.oid},
                       {"columns", s.columns},
                       {"kinds", kinds}});
    }
    return out;
}

std::vector<verify::TableShape> shapes_from_json(const nlohmann::json& doc) {
    std::vector<verify::TableShape> out;
    for (const auto& j : doc) {
        verify::TableShape s;
        s.table = {j.at("schema").get<std::string>(), j.at("table").get<std::string>()};
        s.oid = j.at("oid").get<std::uint32_t>();
        s.columns = j.at("columns").get<std::vector<std::string>>();
        for (const auto& k : j.at("kinds"))
            s.kinds.push_back(verify::ColumnKind::from_name(k.get<std::string>()));
        out.push_back(std::move(s));
    }
    return out;
}

const nlohmann::json& details(const std::map<Step, nlohmann::json>& markers, Step step) {
    return markers.at(step).at("details");
}

}  // namespace

DatabaseTask::DatabaseTask(Context& ctx, const SourceDatabase& db)
    : ctx_(ctx),
      db_(db.name),
      into_existing_(db.placement == Placement::existing),
      inputs_(ctx.inputs(db.oid)) {}

void DatabaseTask::timed(Phase phase, std::chrono::milliseconds DatabaseProgress::*bucket,
                         const std::function<void()>& work) {
    cancel::throw_if_requested();
    ctx_.progress.enter(db_, phase);
    auto start = Clock::now();
    work();
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    ctx_.progress.update(db_, [&](DatabaseProgress& p) { p.*bucket += took; });
}

void DatabaseTask::run() noexcept {
    try {
        plan();
        run_regular();
        ctx_.progress.update(db_, [](DatabaseProgress& p) { p.regular_finished = Clock::now(); });
        run_delayed();
        verify_schema();
        ctx_.progress.enter(db_, Phase::complete);
    } catch (const Cancelled&) {
        ctx_.progress.enter(db_, Phase::interrupted);
    } catch (const std::exception& e) {
        if (cancel::requested()) {
            ctx_.progress.enter(db_, Phase::interrupted);
            return;
        }
        std::string phase;
        ctx_.progress.update(db_, [&](DatabaseProgress& p) {
            phase = phase_name(p.phase);
            p.error = e.what();
        });
        spdlog::error("[{}] failed while {}: {}", db_, phase, e.what());
        ctx_.progress.enter(db_, Phase::failed);
    }
}

void DatabaseTask::plan() {
    auto found = ctx_.state.read_markers(db_);
    TargetDatabaseFacts facts;
    if (auto it = found.find(Step::created); it != found.end()) {
        std::string recorded_oid =
            it->second.value("details", nlohmann::json::object()).value("oid", "");
        auto conn = ctx_.target(ctx_.options.to.dbname);
        if (auto r = conn->query(pg::sql::kDatabaseOid, {db_}); r.rows() > 0)
            facts.oid_of_name = r.get(0, 0);
        facts.recorded_oid_exists =
            !recorded_oid.empty() &&
            conn->query(pg::sql::kDatabaseNameByOid, {recorded_oid}).rows() > 0;
    }
    ResumePlan plan = plan_resume(db_, found, inputs_, facts);
    if (plan.refusal) throw Error(ExitCode::local, *plan.refusal);
    for (const auto& note : plan.notes) spdlog::info("[{}] {}", db_, note);
    earlier_delayed_load_ =
        found.count(Step::delayed_restore_started) || found.count(Step::delayed_restored);
    for (Step s : plan.redo) {
        if (s == Step::created) drop_recorded_database(ctx_, found[s]);  // ours only
        ctx_.state.clear_marker(db_, s);
    }
    for (Step s : plan.keep) markers_[s] = found[s];
    if (!plan.keep.empty() && plan.keep.count(Step::restored))
        ctx_.progress.update(db_, [](DatabaseProgress& p) { p.skipped = true; });
    if (plan.keeps(Step::dumped)) {
        const auto& d = details(markers_, Step::dumped);
        tables_ = tables_from_json(d.at("tables"));
        auto left_out = tables_from_json(d.at("delayed"));
        delayed_ = {left_out.begin(), left_out.end()};
        auto wanted = ctx_.delay_plan.delayed_tables(db_, tables_);
        if (wanted != delayed_) {
            std::set<TableKey> now_loaded, now_delayed;
            for (const auto& t : delayed_)
                if (!wanted.count(t)) now_loaded.insert(t);
            for (const auto& t : wanted)
                if (!delayed_.count(t)) now_delayed.insert(t);
            if (!now_loaded.empty())
                spdlog::info(
                    "[{}] --delay-table-data changed since the dump, which left out the "
                    "data of {}: it loads in the delayed phase now",
                    db_, names(now_loaded));
            if (!now_delayed.empty())
                spdlog::info(
                    "[{}] {} now match --delay-table-data, but the dump already holds "
                    "their data: they load with the rest",
                    db_, names(now_delayed));
        }
    }
}

void DatabaseTask::mark(Step step, const std::map<Step, std::string>& builds_on, nlohmann::json d) {
    auto doc = make_marker(db_, step, inputs_, builds_on, std::move(d));
    ctx_.state.write_marker(db_, step, doc);
    markers_[step] = std::move(doc);
}

std::string DatabaseTask::execution(Step step) const {
    return markers_.at(step).at("execution").get<std::string>();
}

void DatabaseTask::run_regular() {
    // Each slot covers only its own connections (pipeline/budget): verification is bounded by
    // the count slots, so the next dump or restore starts while this database is verified.
    if (!markers_.count(Step::dumped)) {
        SlotGuard dump_slot(ctx_.dump_slots);
        timed(Phase::dumping, &DatabaseProgress::dump_time, [&] { dump(); });
    }
    if (!markers_.count(Step::restored)) {
        ctx_.progress.enter(db_, Phase::waiting_restore);
        SlotGuard restore_slot(ctx_.restore_slots);
        timed(Phase::restoring, &DatabaseProgress::restore_time, [&] { restore(); });
    }
    timed(Phase::verifying, &DatabaseProgress::verify_time, [&] { verify(false); });
}

void DatabaseTask::run_pg_dump(const fs::path& dir, const std::string& snapshot,
                               std::vector<std::string> extra_args) {
    ctx_.state.remove_tree(dir);  // a partial dump from an interrupted run
    std::vector<std::string> args = {"--format=directory",
                                     "--jobs=" + std::to_string(ctx_.options.dump_jobs),
                                     "--compress=" + ctx_.compression_argument,
                                     "--snapshot=" + snapshot,
                                     "--file=" + dir.string(),
                                     "--dbname=" + ctx_.options.from.child_conninfo(db_)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto cmd = ctx_.tool_command(ctx_.tools.pg_dump, ctx_.options.from, db_, std::move(args));
    cmd.environment.push_back(verify::pinned_pgoptions_environment());
    process::run_checked(cmd, ctx_.stderr_logger(cmd.label), ExitCode::source);
}

void DatabaseTask::run_pg_restore(const fs::path& dir, std::vector<std::string> extra_args) {
    std::vector<std::string> args = {
        "--format=directory", "--jobs=" + std::to_string(ctx_.options.restore_jobs),
        "--disable-triggers", "--dbname=" + ctx_.options.to.child_conninfo(db_)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    args.push_back(dir.string());
    auto cmd = ctx_.tool_command(ctx_.tools.pg_restore, ctx_.options.to, db_, std::move(args));
    cmd.environment.push_back(verify::pinned_pgoptions_environment());
    process::run_checked(cmd, ctx_.stderr_logger(cmd.label), ExitCode::target);
}

void DatabaseTask::dump() {
    // One snapshot for everything the source tells about this dump: pg_dump runs in it, and the
    // table list, definition, foreign keys and figures are read in the same transaction.
    auto conn = ctx_.snapshot_connection(db_);
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::string snapshot = conn.query("SELECT pg_catalog.pg_export_snapshot()").get(0, 0);
    inputs_.source_db_oid =
        conn.query("SELECT oid FROM pg_database WHERE datname = current_database()").get(0, 0);
    auto listed = conn.query(pg::sql::kUserTables);
    tables_.clear();
    TableCounts estimates;
    for (int i = 0; i < listed.rows(); ++i) {
        tables_.push_back({listed.get(i, 0), listed.get(i, 1)});
        estimates[tables_.back()] = listed.get_int(i, 2);
    }
    delayed_ = ctx_.delay_plan.delayed_tables(db_, tables_);
    for (const auto& pattern : ctx_.delay_plan.unmatched(db_, tables_))
        spdlog::warn("[{}] --delay-table-data {} matches no table; its data loads with the rest",
                     db_, pattern);
    if (!delayed_.empty()) spdlog::info("[{}] delayed tables: {}", db_, names(delayed_));
    auto deferred = foreign_keys_to_defer(conn, delayed_);
    auto definition = read_definition(conn, db_);
    auto changes = change_counters(conn);
    auto shapes = verify::read_table_shapes(conn);

    std::vector<std::string> args;
    for (const auto& t : delayed_)
        args.push_back("--exclude-table-data=" + pg::qualified_name(t.schema, t.name));
    bool statistics = carries_statistics(ctx_);
    if (statistics) args.push_back("--statistics");
    run_pg_dump(ctx_.state.dump_dir(db_), snapshot, std::move(args));

    conn.execute("COMMIT");
    // Its transaction ended: the pool keeps it for this database's next source query (the
    // "moved on" note after verification) instead of starting another backend.
    ctx_.pool.adopt(std::move(conn));
    mark(Step::dumped, {},
         {{"tables", tables_to_json(tables_)},
          {"delayed", tables_to_json({delayed_.begin(), delayed_.end()})},
          {"deferred_foreign_keys", foreign_keys_to_json(deferred)},
          {"definition", definition_to_json(definition)},
          {"shapes", shapes_to_json(shapes)},
          {"estimates", counts_to_json(db_, "estimate", estimates)},
          {"changes", counts_to_json(db_, "changes", changes)},
          {"statistics", statistics}});
}

std::vector<verify::TableShape> DatabaseTask::shapes(bool delayed_phase) const {
    std::vector<verify::TableShape> out;
    for (auto& s : shapes_from_json(details(markers_, Step::dumped).at("shapes")))
        if (delayed_.count(s.table) == (delayed_phase ? 1u : 0u)) out.push_back(std::move(s));
    return out;
}

// The source side of verification: read from the dump's own files (the source did its work
// once, in pg_dump), cached only for that very dump (its execution id) and level.
verify::Figures DatabaseTask::source_figures(bool delayed_phase) {
    Step step = delayed_phase ? Step::delayed_dumped : Step::dumped;
    const std::string format = "pg-migrate-source-figures/1";
    auto file = ctx_.state.source_figures_file(db_, delayed_phase);
    auto level = ctx_.options.verify_level;
    if (auto doc = ctx_.state.read_json(file, format);
        doc && doc->value("dump_execution", "") == execution(step)) {
        auto figures = verify::figures_from_json(doc->at("figures"), file.string());
        if (figures.level == level || level == VerifyLevel::counts) return figures;
    }
    ctx_.progress.enter(db_, Phase::source_counts);
    auto dir = delayed_phase ? ctx_.state.delayed_dump_dir(db_) : ctx_.state.dump_dir(db_);
    auto figures =
        verify::figures_from_dump(dir, ctx_.tools.pg_restore, {}, shapes(delayed_phase), level);
    ctx_.state.write_json(file, format,
                          {{"database", db_},
                           {"dump_execution", execution(step)},
                           {"figures", verify::figures_to_json(figures)}});
    return figures;
}

// The target side, read now: every table in parallel under the count slots.
verify::Figures DatabaseTask::target_figures(const std::vector<verify::TableShape>& expected,
                                             bool with_sequences) {
    verify::Figures out;
    out.level = ctx_.options.verify_level;
    std::vector<verify::TableShape> reads;
    {
        SlotGuard slot(ctx_.count_slots);
        auto conn = ctx_.target(db_);
        reads = verify::shapes_to_read(expected, verify::read_table_shapes(*conn));
        if (with_sequences && out.level == VerifyLevel::checksums) {
            out.sequences = verify::sequence_positions(*conn);
            out.large_objects = verify::large_object_figures(*conn);
        }
    }
    std::mutex mutex;
    for_each_bounded(ctx_, reads, [&](const verify::TableShape& shape) {
        auto conn = ctx_.target(db_);
        auto figures = verify::table_figures(*conn, shape, out.level);
        std::lock_guard lock(mutex);
        out.tables[shape.table] = figures;
    });
    return out;
}

void DatabaseTask::restore() {
    const auto& d = details(markers_, Step::dumped);
    std::vector<std::string> args;
    if (into_existing_) {
        args = prepare_existing_database();
    } else {
        prepare_target_database(ctx_, db_, definition_from_json(d.at("definition")), inputs_);
        markers_[Step::created] = *ctx_.state.read_marker(db_, Step::created);
    }
    auto deferred = foreign_keys_from_json(d.at("deferred_foreign_keys"));
    if (!deferred.empty()) {
        // The list pg_restore works from, minus FKs whose referenced rows come later.
        auto list_cmd = ctx_.tool_command(ctx_.tools.pg_restore, ctx_.options.to, db_,
                                          {"--list", ctx_.state.dump_dir(db_).string()});
        auto listed =
            process::run_checked(list_cmd, ctx_.stderr_logger(list_cmd.label), ExitCode::local);
        fs::path list_file = ctx_.state.restore_list_file(db_);
        util::write_file_atomic(list_file, exclude_from_restore_list(listed.stdout_text, deferred));
        args.push_back("--use-list=" + list_file.string());
    }
    run_pg_restore(ctx_.state.dump_dir(db_), std::move(args));
    add_foreign_keys_not_valid(ctx_, db_, deferred);
    // Statistics on arrival, still under the restore slot, before the step counts as done (a
    // kill here redoes the restore, so no database is handed over unanalyzed).
    std::vector<TableKey> loaded;
    for (const auto& t : tables_)
        if (!delayed_.count(t)) loaded.push_back(t);
    if (d.value("statistics", false))
        spdlog::info(
            "[{}] planner statistics restored from the dump (pg_dump --statistics); no "
            "VACUUM (ANALYZE) of its {} table(s)",
            db_, loaded.size());
    else
        analyze(loaded);
    mark(Step::restored,
         {{Step::dumped, execution(Step::dumped)}, {Step::created, execution(Step::created)}});
}

void DatabaseTask::analyze(const std::vector<TableKey>& tables) {
    if (!ctx_.options.analyze || tables.empty()) return;
    ctx_.progress.enter(db_, Phase::analyzing);
    analyze_tables(ctx_, db_, tables);
}

std::vector<std::string> DatabaseTask::prepare_existing_database() {
    std::string oid;
    {
        auto conn = ctx_.target(ctx_.options.to.dbname);
        auto res = conn->query(pg::sql::kDatabaseOid, {db_});
        if (res.rows() == 0)
            throw Error(ExitCode::target,
                        fmt::format("the {} has no database \"{}\" to carry the source's objects "
                                    "into; create it or --exclude-database {}",
                                    ctx_.options.to.describe(), db_, db_));
        oid = res.get(0, 0);
    }
    // A created marker for the target's own database means an earlier restore into it began:
    // objects it made are dropped first (--clean --if-exists), the rest of the database stays.
    bool again = markers_.count(Step::created) > 0;
    mark(Step::created, {}, {{"name", db_}, {"oid", oid}, {"existing", true}});
    spdlog::info("[{}] restoring into the target's own database \"{}\"{}", db_, db_,
                 again ? " again (objects of the earlier attempt dropped first)" : "");
    if (again) return {"--clean", "--if-exists"};
    return {};
}

std::string DatabaseTask::moved_on_note(const TableCounts& at_snapshot) {
    TableCounts now;
    {
        SlotGuard slot(ctx_.count_slots);
        auto conn = ctx_.source(db_);
        now = change_counters(*conn);
    }
    long long rows = 0;
    int tables = 0;
    for (const auto& [table, then] : at_snapshot) {
        auto it = now.find(table);
        if (it == now.end() || it->second <= then) continue;
        rows += it->second - then;
        ++tables;
    }
    if (rows == 0) return {};
    return fmt::format(
        "the source has moved on by {} row change(s) in {} table(s) since the snapshot the "
        "target was verified against (information, not a failure)",
        rows, tables);
}

void DatabaseTask::verify(bool delayed_phase) {
    const auto& d = details(markers_, delayed_phase ? Step::delayed_dumped : Step::dumped);
    std::string rendered;
    if (ctx_.options.fast_verify && !delayed_phase) {
        rendered = verify_estimates();
    } else {
        verify::Figures src = source_figures(delayed_phase);
        verify::Figures dst = target_figures(shapes(delayed_phase), !delayed_phase);
        if (delayed_phase) {  // the regular phase compared them
            src.large_objects.reset();
            src.sequences.clear();
        }
        auto comparison = verify::compare_figures(src, dst, {});
        rendered = verify::render_comparison(comparison);
        spdlog::info(
            "[{}] {}verification ({} against the dump's snapshot):\n{}", db_,
            delayed_phase ? "delayed " : "",
            ctx_.options.verify_level == VerifyLevel::checksums ? "row checksums" : "row counts",
            rendered);
        ctx_.progress.record_verification(db_, verify::as_verify_report(comparison), delayed_phase);
        if (!comparison.ok()) {
            auto diffs = comparison.differences();
            throw Error(ExitCode::migration_failed,
                        fmt::format("the target differs from the source's snapshot in {} "
                                    "place(s): {}",
                                    comparison.failures, fmt::join(diffs, "; ")));
        }
    }
    if (auto note = moved_on_note(counts_from_json(d.at("changes"), db_, "marker"));
        !note.empty()) {
        spdlog::info("[{}] {}", db_, note);
        ctx_.progress.update(db_, [&](DatabaseProgress& p) { p.warnings.push_back(note); });
    }
    util::write_file_atomic(ctx_.state.verify_record_file(db_, delayed_phase), rendered);
}

// --fast-verify: pg_class.reltuples on both sides; differences are warnings.
std::string DatabaseTask::verify_estimates() {
    const auto& d = details(markers_, Step::dumped);
    TableCounts src = counts_from_json(d.at("estimates"), db_, "marker");
    for (const auto& t : delayed_) src.erase(t);
    TableCounts dst = count_estimated(ctx_, pg::Side::target, db_);
    std::set<TableKey> estimated, skip;
    for (const auto& [t, rows] : src) estimated.insert(t);
    for (const auto& [t, rows] : dst)
        if (!src.count(t)) skip.insert(t);
    VerifyReport report = compare_counts(src, dst, skip, estimated);
    std::string table = render_verify_report(report);
    spdlog::info("[{}] verification (estimates, --fast-verify):\n{}", db_, table);
    ctx_.progress.record_verification(db_, report, false);
    if (report.warnings > 0) {
        std::string w =
            fmt::format("{} table(s) differ by estimate (--fast-verify)", report.warnings);
        spdlog::warn("[{}] {}", db_, w);
        ctx_.progress.update(db_, [&](DatabaseProgress& p) { p.warnings.push_back(w); });
    }
    if (!report.ok())
        throw Error(ExitCode::migration_failed,
                    fmt::format("{} table(s) missing on the target", report.failures));
    return table;
}

// At the checksums level, after all data and indexes are in: the schema the dump holds against
// the target's, and the database's own properties.
void DatabaseTask::verify_schema() {
    if (ctx_.options.verify_level != VerifyLevel::checksums) return;
    if (into_existing_) {
        spdlog::info(
            "[{}] schema not compared: the target's own database may hold objects of "
            "its own (tables and rows were)",
            db_);
        return;
    }
    ctx_.progress.enter(db_, Phase::verifying);
    SlotGuard slot(ctx_.count_slots);
    verify::SchemaDiff diff;
    {
        auto src = ctx_.source(db_);
        auto dst = ctx_.target(db_);
        diff = verify::compare_schema(*src, *dst, ctx_.tools, db_, ctx_.state.dump_dir(db_),
                                      std::nullopt);
    }
    for (const auto& note : diff.notes) spdlog::info("[{}] schema note: {}", db_, note);
    if (!diff.ok())
        throw Error(ExitCode::migration_failed,
                    fmt::format("the target's schema differs from the dump's in {} place(s): {}",
                                diff.differences.size(), fmt::join(diff.differences, "; ")));
    spdlog::info("[{}] schema, database properties: equal", db_);
}

void DatabaseTask::run_delayed() {
    if (delayed_.empty()) return;
    auto started = Clock::now();
    if (!markers_.count(Step::delayed_dumped)) {
        SlotGuard dump_slot(ctx_.dump_slots);
        ctx_.progress.enter(db_, Phase::delayed_dumping);
        delayed_dump();
    }
    ctx_.progress.enter(db_, Phase::waiting_restore);
    {
        SlotGuard restore_slot(ctx_.restore_slots);
        std::vector<SavedIndex> indexes;
        if (!markers_.count(Step::delayed_indexes_saved)) {
            indexes = save_delayed_indexes(ctx_, db_, delayed_);
            mark(Step::delayed_indexes_saved, {{Step::restored, execution(Step::restored)}});
        } else {
            indexes = read_saved_indexes(ctx_, db_);
        }
        if (!markers_.count(Step::delayed_indexes_dropped)) {
            ctx_.progress.enter(db_, Phase::dropping_indexes);
            drop_indexes(ctx_, db_, indexes);
            mark(Step::delayed_indexes_dropped,
                 {{Step::delayed_indexes_saved, execution(Step::delayed_indexes_saved)}});
        }
        if (!markers_.count(Step::delayed_restored)) delayed_load();
        if (!markers_.count(Step::delayed_indexes_recreated)) {
            ctx_.progress.enter(db_, Phase::recreating_indexes);
            recreate_indexes(ctx_, db_, indexes);
            validate_foreign_keys(ctx_, db_,
                                  foreign_keys_from_json(
                                      details(markers_, Step::dumped).at("deferred_foreign_keys")));
            mark(Step::delayed_indexes_recreated,
                 {{Step::delayed_restored, execution(Step::delayed_restored)},
                  {Step::delayed_indexes_saved, execution(Step::delayed_indexes_saved)}});
        }
    }
    ctx_.progress.update(db_, [&](DatabaseProgress& p) {
        p.delayed_time +=
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    });
    timed(Phase::delayed_verifying, &DatabaseProgress::verify_time, [&] { verify(true); });
}

void DatabaseTask::delayed_dump() {
    auto conn = ctx_.snapshot_connection(db_);
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    std::string snapshot = conn.query("SELECT pg_catalog.pg_export_snapshot()").get(0, 0);
    auto changes = change_counters(conn);
    std::vector<std::string> args = {"--data-only"};
    for (const auto& t : delayed_)
        args.push_back("--table=" + pg::qualified_name(t.schema, t.name));
    run_pg_dump(ctx_.state.delayed_dump_dir(db_), snapshot, std::move(args));
    conn.execute("COMMIT");
    ctx_.pool.adopt(std::move(conn));
    mark(Step::delayed_dumped, {{Step::dumped, execution(Step::dumped)}},
         {{"changes", counts_to_json(db_, "changes", changes)}});
}

void DatabaseTask::delayed_load() {
    ctx_.progress.enter(db_, Phase::delayed_restoring);
    if (earlier_delayed_load_ || markers_.count(Step::delayed_restore_started)) {
        // An earlier load left some rows: empty the tables (FK triggers off, so referencing
        // tables keep their rows) and load again.
        auto conn = ctx_.target(db_);
        conn->execute("SET session_replication_role = replica");
        for (const auto& t : delayed_)
            conn->execute("DELETE FROM ONLY " + pg::qualified_name(t.schema, t.name),
                          pg::kLongQueryTimeout);
        conn->execute("RESET session_replication_role");
    }
    std::map<Step, std::string> on = {{Step::delayed_dumped, execution(Step::delayed_dumped)},
                                      {Step::restored, execution(Step::restored)}};
    mark(Step::delayed_restore_started, on);
    run_pg_restore(ctx_.state.delayed_dump_dir(db_), {"--data-only"});
    sync_sequences(ctx_, db_, delayed_);
    analyze({delayed_.begin(), delayed_.end()});
    mark(Step::delayed_restored, on);
}

}  // namespace pgmigrate::pipeline
