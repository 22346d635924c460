#include "pgmigrate/pipeline/migration.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <thread>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/wait.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/database_task.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/pipeline/globals.hpp"
#include "pgmigrate/pipeline/settings.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/live_area.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace fs = std::filesystem;
namespace {

void check_superuser(Context& ctx, const pg::Endpoint& ep) {
    auto conn = ctx.pool.acquire(ep, ep.dbname);
    if (conn->query(pg::sql::kIsSuperuser).get(0, 0) == "t") return;
    if (ep.side == pg::Side::target)
        throw Error(ExitCode::target,
                    fmt::format("user {} on the {} is not a superuser; pg-migrate needs one there "
                                "for ALTER SYSTEM (fast-restore settings), creating roles and "
                                "databases with their owners, and pg_restore --disable-triggers",
                                ep.user, ep.describe()));
    spdlog::warn(
        "user {} on the {} is not a superuser: pg_dumpall cannot read role passwords and "
        "pg_dump may lack access to some tables",
        ep.user, ep.describe());
}

void preflight(Context& ctx) {
    auto& o = ctx.options;
    pg::wait_for_server(o.from, o.wait_for_servers);
    pg::wait_for_server(o.to, o.wait_for_servers);
    {
        auto src = ctx.source(o.from.dbname);
        ctx.source_major = src->server_major();
        spdlog::info("source: {} (PostgreSQL {})", o.from.describe(), src->server_version_text());
    }
    {
        auto dst = ctx.target(o.to.dbname);
        ctx.target_major = dst->server_major();
        spdlog::info("target: {} (PostgreSQL {})", o.to.describe(), dst->server_version_text());
    }
    ctx.tools = process::select_client_tools(o.pg_bin_dir, ctx.source_major, ctx.target_major);
    spdlog::info("client tools: {}", ctx.tools.reason);
    if (ctx.tools.version.major < ctx.source_major)
        throw Error(ExitCode::local,
                    fmt::format("pg_dump {} ({}) is older than the source server (PostgreSQL {}) "
                                "and refuses to dump it; install the PostgreSQL {} client tools "
                                "or newer and point --pg-bin-dir at them",
                                ctx.tools.version.text, ctx.tools.pg_dump.string(),
                                ctx.source_major, ctx.source_major));
    if (ctx.tools.version.major < ctx.target_major)
        spdlog::warn(
            "pg_restore {} is older than the target server (PostgreSQL {}); this usually "
            "works, but newer client tools are safer",
            ctx.tools.version.text, ctx.target_major);
    if (ctx.tools.version.major > ctx.target_major)
        spdlog::warn(
            "pg_restore {} is newer than the target server (PostgreSQL {}); PostgreSQL promises "
            "restoring into the same or a newer major only",
            ctx.tools.version.text, ctx.target_major);
    check_superuser(ctx, o.from);
    check_superuser(ctx, o.to);
    auto spec = o.compress.value_or(process::default_compression(ctx.tools.version.major));
    ctx.compression_argument = process::compression_argument(spec, ctx.tools.version.major);
    spdlog::info("dump compression: {}", process::to_string(spec));
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

// Redraws the live block on a TTY; logs a status line now and then otherwise.
class ProgressReporter {
  public:
    ProgressReporter(Context& ctx, Clock::time_point started)
        : ctx_(ctx), started_(started), thread_([this] { loop(); }) {}
    ~ProgressReporter() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
        util::LiveArea::instance().update({});
    }

  private:
    void loop() {
        bool live = util::LiveArea::instance().enabled() && ctx_.options.progress;
        auto last_status = Clock::now();
        std::unique_lock lock(mutex_);
        while (!stop_) {
            cv_.wait_for(lock, std::chrono::milliseconds(live ? 500 : 1000));
            if (stop_) break;
            if (live) {
                util::LiveArea::instance().update(ctx_.progress.live_lines(started_));
            } else if (Clock::now() - last_status > std::chrono::seconds(30)) {
                spdlog::info("{}", ctx_.progress.status_line());
                last_status = Clock::now();
            }
        }
    }
    Context& ctx_;
    Clock::time_point started_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

ExitCode finish(Context& ctx, Clock::time_point started) {
    auto dbs = ctx.progress.snapshot();
    Clock::time_point regular_done = started;
    for (const auto& p : dbs)
        if (p.regular_finished) regular_done = std::max(regular_done, *p.regular_finished);
    std::string summary = render_summary(dbs);
    spdlog::info("summary:\n{}", summary);
    int failed = 0, interrupted = 0;
    for (const auto& p : dbs) {
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
                      dbs.size());
        return ExitCode::migration_failed;
    }
    spdlog::info("all {} database(s) migrated and verified", dbs.size());
    return ExitCode::ok;
}

}  // namespace

ExitCode run_migration(const Config& options) {
    auto started = Clock::now();
    StateStore(options.state_home).prepare();
    RunLock lock(StateStore(options.state_home).lock_file());
    Context ctx(options);
    preflight(ctx);

    TargetSettings settings(ctx);
    if (!options.disable_dst_optimizations) settings.restore_leftover();

    auto dbs = discover_databases(ctx);
    std::vector<std::string> names;
    for (const auto& db : dbs) {
        ctx.progress.add(db.name, db.size_bytes);
        names.push_back(db.name);
    }
    spdlog::info("{} database(s) on the source: {}", dbs.size(),
                 names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")));
    for (const auto& p : ctx.delay_plan.unknown_databases(names))
        spdlog::warn("--delay-table-data {} names a database the source does not have", p);
    prepare_dump_root(ctx, dbs);

    bool all_done = !names.empty();
    for (const auto& n : names)
        all_done = all_done && ctx.state.regular_complete(n) &&
                   (!ctx.delay_plan.database_has_patterns(n) || ctx.state.delayed_complete(n));
    if (all_done) spdlog::info("every database is already migrated and verified; nothing to do");

    struct SettingsGuard {
        TargetSettings& s;
        bool active = false;
        ~SettingsGuard() {
            if (active) s.restore();
        }
    } guard{settings};
    if (!options.disable_dst_optimizations && !all_done) {
        guard.active = true;
        settings.apply();
    }

    if (options.migrate_globals && !ctx.state.globals_done()) migrate_globals(ctx);
    // Each target database is created by its own task right before its restore (under the
    // restore slot), so creating many databases overlaps the first dumps instead of delaying them.
    {
        ProgressReporter reporter(ctx, started);
        std::vector<std::thread> threads;
        for (const auto& db : names)
            threads.emplace_back([&ctx, db] { DatabaseTask(ctx, db).run(); });
        for (auto& t : threads) t.join();
    }
    if (guard.active) {
        guard.active = false;
        settings.restore();
    }
    ctx.pool.clear();
    return finish(ctx, started);
}

}  // namespace pgmigrate::pipeline
