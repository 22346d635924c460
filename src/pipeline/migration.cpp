#include "pgmigrate/pipeline/migration.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pipeline/analyze.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/database_task.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/pipeline/estimates.hpp"
#include "pgmigrate/pipeline/globals.hpp"
#include "pgmigrate/pipeline/preflight.hpp"
#include "pgmigrate/pipeline/report.hpp"
#include "pgmigrate/pipeline/settings.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace fs = std::filesystem;
namespace {

// The state directory belongs to one server pair. Another pair is refused (its markers would
// say nothing true about these servers) unless --reset-state throws the state away.
void check_state_identity(Context& ctx) {
    const auto file = ctx.state.identity_file();
    const std::string format = "pg-migrate-identity/1";
    nlohmann::json now = {{"source", ctx.source_identity.to_json()},
                          {"target", ctx.target_identity.to_json()}};
    if (auto doc = ctx.state.read_json(file, format)) {
        auto src = ServerIdentity::from_json(doc->value("source", nlohmann::json()));
        auto dst = ServerIdentity::from_json(doc->value("target", nlohmann::json()));
        if (!src.same_server(ctx.source_identity) || !dst.same_server(ctx.target_identity)) {
            if (!ctx.options.reset_state)
                throw Error(ExitCode::local,
                            fmt::format("the state in {} belongs to a migration from {} to {}; "
                                        "this run goes from {} to {}. Use another HOME for this "
                                        "pair, or --reset-state to forget the old state",
                                        ctx.state.migrate_dir().string(), src.address, dst.address,
                                        ctx.source_identity.address, ctx.target_identity.address));
            spdlog::warn(
                "--reset-state: forgetting the state of the migration from {} to {}; "
                "target databases it created there are left alone",
                src.address, dst.address);
            ctx.state.forget_all();
        }
    }
    ctx.state.write_json(file, format, now);
}

// --reset-state / --restart-database: the databases pg-migrate created (their recorded OIDs)
// are dropped on this target, then the state is forgotten.
void restart_requested(Context& ctx) {
    auto drop_created = [&](const nlohmann::json& marker) {
        auto target = ServerIdentity::from_json(marker.value("target", nlohmann::json()));
        if (!target.same_server(ctx.target_identity)) return;
        drop_recorded_database(ctx, marker);
    };
    if (ctx.options.reset_state) {
        spdlog::warn(
            "--reset-state: dropping the target databases pg-migrate created and "
            "forgetting all state");
        for (const auto& marker : ctx.state.created_markers()) drop_created(marker);
        ctx.state.forget_all();
        return;
    }
    for (const auto& db : ctx.options.restart_databases) {
        spdlog::warn("[{}] --restart-database: forgetting its state and migrating it anew", db);
        std::optional<nlohmann::json> marker;
        try {
            marker = ctx.state.read_marker(db, Step::created);
        } catch (const Error& e) {
            // Unreadable (an older release's, or corrupt): it proves nothing, nothing is dropped.
            spdlog::warn("[{}] {}; forgetting it", db, e.what());
        }
        if (marker) drop_created(*marker);
        ctx.state.forget(db);
    }
}

bool globals_done(const Context& ctx) {
    auto doc = ctx.state.read_json(ctx.state.globals_file(), kGlobalsFormat);
    if (!doc) return false;
    return ServerIdentity::from_json(doc->value("source", nlohmann::json()))
               .same_server(ctx.source_identity) &&
           ServerIdentity::from_json(doc->value("target", nlohmann::json()))
               .same_server(ctx.target_identity);
}

void prepare_dump_root(Context& ctx, const std::vector<SourceDatabase>& dbs) {
    const auto& root = ctx.options.dump_root;
    std::error_code ec;
    fs::create_directories(root, ec);
    if (ec || ::access(root.c_str(), W_OK) != 0)
        throw Error(ExitCode::local, fmt::format("dump root {} is not writable{}", root.string(),
                                                 ec ? ": " + ec.message() : ""));
    struct statvfs vfs {};
    if (::statvfs(root.c_str(), &vfs) == 0) {
        std::uint64_t free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
        std::uint64_t total = 0;
        for (const auto& db : dbs) total += db.size_bytes;
        if (free_bytes < total)
            spdlog::warn(
                "dump root {} has {} free but the databases total {}; dumps may not "
                "fit (compression and index data shrink them, but check)",
                root.string(), util::format_bytes(free_bytes), util::format_bytes(total));
    }
}

ExitCode finish(Context& ctx, Clock::time_point started) {
    auto dbs = ctx.progress.snapshot();
    Clock::time_point regular_done = started;
    for (const auto& p : dbs)
        if (p.regular_finished) regular_done = std::max(regular_done, *p.regular_finished);
    std::string summary = render_summary(dbs);
    spdlog::info("summary:\n{}", summary);
    int failed = 0, interrupted = 0, migrated = 0;
    for (const auto& p : dbs) {
        if (p.skip_reason) continue;  // listed in the summary as not migrated
        ++migrated;
        if (p.phase == Phase::failed) ++failed;
        if (p.phase != Phase::complete && p.phase != Phase::failed) ++interrupted;
    }
    auto total = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    auto regular = std::chrono::duration_cast<std::chrono::milliseconds>(regular_done - started);
    spdlog::info("regular phase {}, total {}", util::format_duration(regular),
                 util::format_duration(total));
    if (int sig = cancel::signal_number()) {
        spdlog::warn(
            "interrupted by signal {}: {} database(s) unfinished; run the same command "
            "again to resume",
            sig, interrupted);
        return sig == SIGTERM ? ExitCode::terminated : ExitCode::interrupted;
    }
    if (failed > 0) {
        spdlog::error("{} of {} database(s) failed; fix the cause and run again to resume", failed,
                      migrated);
        return ExitCode::migration_failed;
    }
    spdlog::info("all {} database(s) migrated and verified in this run (verified: {})", migrated,
                 ctx.options.fast_verify ? "row estimates (--fast-verify)"
                 : ctx.options.verify_level == VerifyLevel::checksums
                     ? "checksums + schema, against each dump's snapshot"
                     : "row counts, against each dump's snapshot");
    return ExitCode::ok;
}

// What preflight found out that the rest of the run reads from the context.
void adopt_preflight(Context& ctx, const Preflight& pre) {
    ctx.source_major = pre.source.major;
    ctx.target_major = pre.target.major;
    ctx.source_version = pre.source.version_text;
    ctx.target_version = pre.target.version_text;
    ctx.source_identity = pre.source.identity;
    ctx.target_identity = pre.target.identity;
    ctx.compression_argument = pre.compression_argument;
    ctx.pool.set_limit(pg::Side::source, pre.budget.pool_size());
    ctx.pool.set_limit(pg::Side::target, pre.budget.pool_size());
}

// The source's databases that this run migrates; every database (skipped ones too, with their
// reason) gets its line on the progress board.
std::vector<SourceDatabase> databases_to_migrate(Context& ctx, const Preflight& pre) {
    std::vector<SourceDatabase> dbs;
    std::vector<std::string> names;
    for (auto& db : discover_databases(ctx)) {
        ctx.progress.add(db, ctx.state.dump_dir(db.name),
                         estimated_dump_bytes(db.size_bytes, pre.compression_method));
        if (db.skip_reason) {
            spdlog::info("[{}] not migrated: {}", db.name, *db.skip_reason);
            continue;
        }
        names.push_back(db.name);
        dbs.push_back(db);
    }
    spdlog::info("{} database(s) to migrate: {}", names.size(),
                 names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
    for (const auto& p : ctx.delay_plan.unknown_databases(names))
        spdlog::warn("--delay-table-data {} names a database the source does not have", p);
    return dbs;
}

// True when an earlier run restored (and delayed-loaded) every one of dbs: nothing is left to
// load, so the target's settings need not change; each is still verified again.
bool all_loaded_earlier(const Context& ctx, const std::vector<SourceDatabase>& dbs) {
    if (dbs.empty()) return false;
    for (const auto& db : dbs) {
        const auto& n = db.name;
        bool delayed = ctx.state.has(n, Step::dumped) &&
                       !ctx.state.read_marker(n, Step::dumped)->at("details").at("delayed").empty();
        if (!ctx.state.has(n, Step::restored) ||
            (delayed && !ctx.state.has(n, Step::delayed_indexes_recreated)))
            return false;
    }
    spdlog::info("every database was migrated by an earlier run; verifying them again");
    return true;
}

// One task (thread) per database, with the progress reporter running until all have ended.
// Each target database is created by its own task right before its restore (under the restore
// slot), so creating many databases overlaps the first dumps instead of delaying them.
void run_database_tasks(Context& ctx, const std::vector<SourceDatabase>& dbs,
                        Clock::time_point started) {
    ProgressReporter reporter(ctx, started);
    std::vector<std::thread> threads;
    for (const auto& db : dbs) threads.emplace_back([&ctx, db] { DatabaseTask(ctx, db).run(); });
    for (auto& t : threads) t.join();
}

ExitCode migrate(const Config& given, Report& report) {
    auto started = Clock::now();
    StateStore(given.state_home, given.dump_root).prepare();
    RunLock lock(StateStore(given.state_home, given.dump_root).lock_file());
    Preflight pre = run_preflight(given);
    Context ctx(with_budget(given, pre.budget), pre.tools);
    const Config& options = ctx.options;
    ReportCapture capture(report, ctx);  // the board's last state, also when an error unwinds
    adopt_preflight(ctx, pre);
    if (carries_statistics(ctx))
        spdlog::info(
            "statistics on arrival: carried in each dump (pg_dump {} --statistics into "
            "PostgreSQL {}), no VACUUM (ANALYZE) after the load",
            ctx.tools.version.text, ctx.target_version);

    TargetSettings settings(ctx);
    settings.restore_leftover();  // also with --disable-dst-optimizations: never leave them
    log_wal_level_advice(ctx);
    restart_requested(ctx);  // before the identity check: --reset-state may clear it
    check_state_identity(ctx);

    std::vector<SourceDatabase> dbs = databases_to_migrate(ctx, pre);
    prepare_dump_root(ctx, dbs);
    bool all_loaded = all_loaded_earlier(ctx, dbs);

    struct SettingsGuard {
        TargetSettings& s;
        bool active = false;
        ~SettingsGuard() {
            if (active) s.restore();
        }
    } guard{settings};
    if (!options.disable_dst_optimizations && !all_loaded) {
        guard.active = true;
        settings.apply();
    }

    if (options.migrate_globals && !globals_done(ctx)) migrate_globals(ctx);
    run_database_tasks(ctx, dbs, started);
    if (guard.active) {
        guard.active = false;
        settings.restore();
    }
    ctx.pool.clear();
    return finish(ctx, started);
}

}  // namespace

// --report is written on every way out: success, failed databases, an error, a signal.
ExitCode run_migration(const Config& options) {
    Report report(options);
    return report.run([&] { return migrate(options, report); });
}

}  // namespace pgmigrate::pipeline
