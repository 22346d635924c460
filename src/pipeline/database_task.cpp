#include "pgmigrate/pipeline/database_task.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/analyze.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/pipeline/delayed.hpp"
#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/cancel.hpp"

namespace pgmigrate::pipeline {
namespace fs = std::filesystem;

DatabaseTask::DatabaseTask(Context& ctx, std::string db) : ctx_(ctx), db_(std::move(db)) {}

void DatabaseTask::load_tables() {
    if (tables_loaded_) return;
    tables_ = list_source_tables(ctx_, db_);
    delayed_ = ctx_.delay_plan.delayed_tables(db_, tables_);
    for (const auto& pattern : ctx_.delay_plan.unmatched(db_, tables_))
        spdlog::warn("[{}] --delay-table-data {} matches no table; its data loads with the rest",
                     db_, pattern);
    if (!delayed_.empty()) {
        std::string names;
        for (const auto& t : delayed_) names += (names.empty() ? "" : ", ") + t.display();
        spdlog::info("[{}] delayed tables: {}", db_, names);
    }
    tables_loaded_ = true;
}

bool DatabaseTask::fully_done() const {
    return ctx_.state.regular_complete(db_) &&
           (delayed_.empty() || ctx_.state.delayed_complete(db_));
}

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
        load_tables();
        if (fully_done()) {
            ctx_.progress.update(db_, [](DatabaseProgress& p) {
                p.skipped = true;
                p.last_active = Phase::complete;
            });
            ctx_.progress.enter(db_, Phase::complete);
            return;
        }
        run_regular();
        ctx_.progress.update(db_, [](DatabaseProgress& p) { p.regular_finished = Clock::now(); });
        run_delayed();
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

void DatabaseTask::run_regular() {
    if (ctx_.state.regular_complete(db_)) return;
    // Each slot covers only its child process: counting is bounded by --verify-concurrency on
    // its own, so the next dump or restore starts while this database is being counted.
    if (!ctx_.state.has(db_, Marker::dumped)) {
        SlotGuard dump_slot(ctx_.dump_slots);
        timed(Phase::dumping, &DatabaseProgress::dump_time, [&] { dump(); });
    }
    timed(Phase::source_counts, &DatabaseProgress::verify_time,
          [&] { counts(pg::Side::source, false); });
    if (!ctx_.state.has(db_, Marker::restored)) {
        ctx_.progress.enter(db_, Phase::waiting_restore);
        SlotGuard restore_slot(ctx_.restore_slots);
        timed(Phase::restoring, &DatabaseProgress::restore_time, [&] { restore(); });
    }
    // TEMPORARY call site (bench branch, issue 13): the lead wires analyze_tables in the rewrite.
    if (ctx_.options.analyze) {
        std::vector<TableKey> loaded;
        for (const auto& t : tables_)
            if (!delayed_.count(t)) loaded.push_back(t);
        timed(Phase::restoring, &DatabaseProgress::restore_time,
              [&] { analyze_tables(ctx_, db_, loaded); });
    }
    timed(Phase::dest_counts, &DatabaseProgress::verify_time,
          [&] { counts(pg::Side::target, false); });
    timed(Phase::verifying, &DatabaseProgress::verify_time, [&] { verify(false); });
    ctx_.state.mark(db_, Marker::done);
}

void DatabaseTask::run_pg_dump(const fs::path& dir, std::vector<std::string> extra_args) {
    std::error_code ec;
    fs::remove_all(dir, ec);  // a partial dump from an interrupted run
    if (ec)
        throw Error(ExitCode::local,
                    fmt::format("cannot remove the old dump {}: {}", dir.string(), ec.message()));
    std::vector<std::string> args = {
        "--format=directory", "--jobs=" + std::to_string(ctx_.options.dump_jobs),
        "--compress=" + ctx_.compression_argument, "--file=" + dir.string(),
        "--dbname=" + ctx_.options.from.child_conninfo(db_)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto cmd = ctx_.tool_command(ctx_.tools.pg_dump, ctx_.options.from, db_, std::move(args));
    process::run_checked(cmd, ctx_.stderr_logger(cmd.label), ExitCode::source);
}

void DatabaseTask::run_pg_restore(const fs::path& dir, std::vector<std::string> extra_args) {
    std::vector<std::string> args = {
        "--format=directory", "--jobs=" + std::to_string(ctx_.options.restore_jobs),
        "--disable-triggers", "--dbname=" + ctx_.options.to.child_conninfo(db_)};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    args.push_back(dir.string());
    auto cmd = ctx_.tool_command(ctx_.tools.pg_restore, ctx_.options.to, db_, std::move(args));
    process::run_checked(cmd, ctx_.stderr_logger(cmd.label), ExitCode::target);
}

void DatabaseTask::dump() {
    std::vector<std::string> args;
    for (const auto& t : delayed_)
        args.push_back("--exclude-table-data=" + pg::qualified_name(t.schema, t.name));
    run_pg_dump(ctx_.dump_dir(db_), std::move(args));
    ctx_.state.mark(db_, Marker::dumped);
}

void DatabaseTask::restore() {
    prepare_target_database(ctx_, db_);
    std::vector<std::string> args;
    auto deferred = foreign_keys_to_defer(ctx_, db_, delayed_);
    if (!deferred.empty()) {
        // The list pg_restore works from, minus FKs whose referenced rows come later.
        auto list_cmd = ctx_.tool_command(ctx_.tools.pg_restore, ctx_.options.to, db_,
                                          {"--list", ctx_.dump_dir(db_).string()});
        auto listed =
            process::run_checked(list_cmd, ctx_.stderr_logger(list_cmd.label), ExitCode::local);
        fs::path list_file = ctx_.dump_dir(db_) / "pg-migrate-restore.list";
        util::write_file_atomic(list_file, exclude_from_restore_list(listed.stdout_text, deferred));
        args.push_back("--use-list=" + list_file.string());
    }
    run_pg_restore(ctx_.dump_dir(db_), std::move(args));
    add_foreign_keys_not_valid(ctx_, db_, deferred);
    ctx_.state.mark(db_, Marker::restored);
}

TableCounts DatabaseTask::counts(pg::Side side, bool delayed_phase) {
    const bool fast = ctx_.options.fast_verify;
    std::string suffix = std::string(side == pg::Side::source ? "src_counts" : "dst_counts") +
                         (delayed_phase ? ".delayed" : "") + (fast ? ".fast" : "") + ".json";
    fs::path file = ctx_.state.verify_file(db_, suffix);
    const std::string format = "pg-migrate-counts/1";
    if (auto doc = ctx_.state.read_json(file, format))
        return counts_from_json(*doc, db_, file.string());

    TableCounts result;
    if (fast) {
        result = count_estimated(ctx_, side, db_);
        if (delayed_phase) {  // delayed tables are always counted exactly
            std::vector<TableKey> exact(delayed_.begin(), delayed_.end());
            for (auto& [k, v] : count_exact(ctx_, side, db_, exact)) result[k] = v;
        }
    } else {
        std::vector<TableKey> wanted;
        for (const auto& t : tables_)
            if (delayed_phase || !delayed_.count(t)) wanted.push_back(t);
        result = count_exact(ctx_, side, db_, wanted);
    }
    ctx_.state.write_json(file, format, counts_to_json(db_, fast ? "fast" : "exact", result));
    return result;
}

void DatabaseTask::verify(bool delayed_phase) {
    TableCounts src = counts(pg::Side::source, delayed_phase);
    TableCounts dst = counts(pg::Side::target, delayed_phase);
    std::set<TableKey> skip = delayed_phase ? std::set<TableKey>{} : delayed_;
    std::set<TableKey> estimated;
    if (ctx_.options.fast_verify)
        for (const auto& [k, v] : src)
            if (!(delayed_phase && delayed_.count(k))) estimated.insert(k);
    VerifyReport report = compare_counts(src, dst, skip, estimated);
    std::string table = render_verify_report(report);
    spdlog::info("[{}] {}verification:\n{}", db_, delayed_phase ? "delayed " : "", table);
    ctx_.progress.update(db_, [&](DatabaseProgress& p) { p.rows_verified = report.rows_verified; });
    if (report.warnings > 0) {
        std::string w =
            fmt::format("{} table(s) differ by estimate (--fast-verify)", report.warnings);
        spdlog::warn("[{}] {}", db_, w);
        ctx_.progress.update(db_, [&](DatabaseProgress& p) { p.warnings.push_back(w); });
    }
    if (!report.ok()) {
        // Count the target again next time: the operator may fix it and re-run.
        std::string dst_suffix = std::string("dst_counts") + (delayed_phase ? ".delayed" : "") +
                                 (ctx_.options.fast_verify ? ".fast" : "") + ".json";
        ctx_.state.remove(ctx_.state.verify_file(db_, dst_suffix));
        throw Error(ExitCode::migration_failed,
                    fmt::format("row counts differ in {} table(s) between source and target",
                                report.failures));
    }
    ctx_.state.mark_verified(db_, delayed_phase, table);
}

void DatabaseTask::run_delayed() {
    if (delayed_.empty()) return;
    const auto& st = ctx_.state;
    if (st.delayed_complete(db_)) return;
    auto started = Clock::now();
    if (!st.has(db_, Marker::delayed_dumped)) {
        SlotGuard dump_slot(ctx_.dump_slots);
        ctx_.progress.enter(db_, Phase::delayed_dumping);
        std::vector<std::string> args = {"--data-only"};
        for (const auto& t : delayed_)
            args.push_back("--table=" + pg::qualified_name(t.schema, t.name));
        run_pg_dump(ctx_.delayed_dump_dir(db_), std::move(args));
        st.mark(db_, Marker::delayed_dumped);
    }
    ctx_.progress.enter(db_, Phase::waiting_restore);
    {
        SlotGuard restore_slot(ctx_.restore_slots);
        auto indexes = save_delayed_indexes(ctx_, db_, delayed_);
        if (!st.has(db_, Marker::delayed_indexes_dropped)) {
            ctx_.progress.enter(db_, Phase::dropping_indexes);
            drop_indexes(ctx_, db_, indexes);
            st.mark(db_, Marker::delayed_indexes_dropped);
        }
        if (!st.has(db_, Marker::delayed_done)) delayed_restore();
        if (!st.has(db_, Marker::delayed_indexes_recreated)) {
            ctx_.progress.enter(db_, Phase::recreating_indexes);
            recreate_indexes(ctx_, db_, indexes);
            validate_foreign_keys(ctx_, db_, foreign_keys_to_defer(ctx_, db_, delayed_));
            st.mark(db_, Marker::delayed_indexes_recreated);
        }
    }
    ctx_.progress.update(db_, [&](DatabaseProgress& p) {
        p.delayed_time +=
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    });
    timed(Phase::delayed_verifying, &DatabaseProgress::verify_time, [&] { verify(true); });
}

void DatabaseTask::delayed_restore() {
    ctx_.progress.enter(db_, Phase::delayed_restoring);
    if (ctx_.state.has(db_, Marker::delayed_restore_started)) {
        // An interrupted load left some tables filled: empty them (FK triggers off, so
        // referencing tables keep their rows) and load again.
        auto conn = ctx_.target(db_);
        conn->execute("SET session_replication_role = replica");
        for (const auto& t : delayed_)
            conn->execute("DELETE FROM ONLY " + pg::qualified_name(t.schema, t.name),
                          pg::kLongQueryTimeout);
        conn->execute("RESET session_replication_role");
    }
    ctx_.state.mark(db_, Marker::delayed_restore_started);
    run_pg_restore(ctx_.delayed_dump_dir(db_), {"--data-only"});
    sync_sequences(ctx_, db_, delayed_);
    ctx_.state.mark(db_, Marker::delayed_done);
}

}  // namespace pgmigrate::pipeline
