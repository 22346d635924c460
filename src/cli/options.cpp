#include "pgmigrate/cli/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "pgmigrate/pipeline/database_filter.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::cli {
namespace {

constexpr const char* kDescription =
    "pg-migrate moves every user database and the roles of one PostgreSQL server to another: "
    "pg_dump/pg_restore in parallel, resumable after any interruption, verified (row counts, or "
    "row checksums and the schema with --verify checksums).\n"
    "Commands: (none) migrate; 'plan' previews a run and changes nothing; 'verify' re-checks a "
    "finished migration from scratch. Both take every option below.\n"
    "Every option can also be set by the environment variable shown as (Env:...). Passwords are "
    "best given that way (PG_MIGRATE_FROM_PASS, PG_MIGRATE_TO_PASS) or through ~/.pgpass, so they "
    "never appear in shell history or ps.\n"
    "State lives in $HOME/pg_migrate_state and $HOME/pg_verify_state; re-running resumes.\n"
    "RUST_LOG=error|warn|info|debug|trace sets the log level (default info).\n"
    "Exit codes: 0 all databases migrated and verified (plan: the run can go ahead; verify: "
    "target equals source); 1 a database failed or did not verify (plan: a blocker; verify: "
    "differences); "
    "2 bad command line; 3 source server error; 4 target server error; 5 local problem (client "
    "tools, dump root, state directory, another run holds the lock); 130 interrupted (SIGINT); "
    "143 terminated (SIGTERM).";

const std::vector<std::string> kSslModes = {"disable", "allow",     "prefer",
                                            "require", "verify-ca", "verify-full"};

struct SideFlags {
    std::string host = "localhost";
    int port = 5432;
    std::string user = "postgres";
    std::string pass;
    std::string db = "postgres";
    std::string sslmode, sslrootcert, sslcert, sslkey;
};

void add_side(CLI::App& app, SideFlags& f, const std::string& side, const std::string& what,
              const std::string& default_pass, const std::string& db_purpose) {
    std::string env = "PG_MIGRATE_" + util::to_lower(side);
    for (auto& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string group = what + " connection";
    app.add_option("--" + side + "-host", f.host, what + " host")
        ->envname(env + "_HOST")
        ->capture_default_str()
        ->group(group);
    app.add_option("--" + side + "-port", f.port, what + " port")
        ->envname(env + "_PORT")
        ->capture_default_str()
        ->check(CLI::Range(1, 65535))
        ->group(group);
    app.add_option("--" + side + "-user", f.user, what + " user (a superuser)")
        ->envname(env + "_USER")
        ->capture_default_str()
        ->group(group);
    app.add_option("--" + side + "-pass", f.pass,
                   what + " password [default: " + default_pass +
                       " unless PGPASSWORD, PGPASSFILE or ~/.pgpass supplies one]")
        ->envname(env + "_PASS")
        ->group(group);
    app.add_option("--" + side + "-db", f.db, what + " database for " + db_purpose)
        ->envname(env + "_DB")
        ->capture_default_str()
        ->group(group);
    app.add_option("--" + side + "-sslmode", f.sslmode, what + " libpq sslmode")
        ->envname(env + "_SSLMODE")
        ->check(CLI::IsMember(kSslModes))
        ->group(group);
    app.add_option("--" + side + "-sslrootcert", f.sslrootcert,
                   what + " CA certificate file (libpq sslrootcert)")
        ->envname(env + "_SSLROOTCERT")
        ->group(group);
    app.add_option("--" + side + "-sslcert", f.sslcert, what + " client certificate (sslcert)")
        ->envname(env + "_SSLCERT")
        ->group(group);
    app.add_option("--" + side + "-sslkey", f.sslkey, what + " client key (sslkey)")
        ->envname(env + "_SSLKEY")
        ->group(group);
}

bool libpq_can_find_password() {
    if (std::getenv("PGPASSWORD") || std::getenv("PGPASSFILE")) return true;
    const char* home = std::getenv("HOME");
    std::error_code ec;
    return home && std::filesystem::exists(std::filesystem::path(home) / ".pgpass", ec);
}

pg::Endpoint to_endpoint(const SideFlags& f, pg::Side side, bool pass_given,
                         const std::string& default_pass) {
    pg::Endpoint e;
    e.side = side;
    e.host = f.host;
    e.port = f.port;
    e.user = f.user;
    e.dbname = f.db;
    if (pass_given)
        e.password = f.pass;
    else if (!libpq_can_find_password())
        e.password = default_pass;
    if (!f.sslmode.empty()) e.options["sslmode"] = f.sslmode;
    if (!f.sslrootcert.empty()) e.options["sslrootcert"] = f.sslrootcert;
    if (!f.sslcert.empty()) e.options["sslcert"] = f.sslcert;
    if (!f.sslkey.empty()) e.options["sslkey"] = f.sslkey;
    return e;
}

std::string validate_delay_pattern(const std::string& pattern) {
    auto dot = pattern.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == pattern.size())
        return fmt::format(
            "--delay-table-data '{}' must be DATABASE.TABLE_PATTERN or "
            "DATABASE.SCHEMA.TABLE_PATTERN (e.g. sales.events, sales.fact_*)",
            pattern);
    return {};
}

}  // namespace

ParseResult parse_command_line(int argc, const char* const* argv) {
    CLI::App app(kDescription, "pg-migrate");
    app.get_formatter()->column_width(44);
    // A flag given twice (say, in a wrapper script and again by hand): the last one wins.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    ParseResult result;
    pipeline::Config& o = result.options;

    SideFlags from, to;
    add_side(app, from, "from", "Source", "oldpass", "discovery and globals");
    add_side(app, to, "to", "Target", "newpass", "ALTER SYSTEM and globals");

    const std::string par = "Parallelism";
    std::optional<int> dump_parallel, restore_parallel;
    app.add_option("--dump-jobs", o.dump_jobs, "pg_dump -j per database")
        ->envname("PG_MIGRATE_DUMP_JOBS")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024))
        ->group(par);
    app.add_option(
           "--restore-jobs", o.restore_jobs,
           "pg_restore -j per database; also bounds parallel CREATE INDEX in the delayed phase")
        ->envname("PG_MIGRATE_RESTORE_JOBS")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024))
        ->group(par);
    app.add_option("-p,--max-parallel", o.max_parallel, "databases dumped/restored concurrently")
        ->envname("PG_MIGRATE_MAX_PARALLEL")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024))
        ->group(par);
    app.add_option("--dump-parallel", dump_parallel,
                   "source-side concurrent dumps [default: --max-parallel]")
        ->envname("PG_MIGRATE_DUMP_PARALLEL")
        ->check(CLI::Range(1, 1024))
        ->group(par);
    app.add_option("--restore-parallel", restore_parallel,
                   "target-side concurrent restores [default: --max-parallel]")
        ->envname("PG_MIGRATE_RESTORE_PARALLEL")
        ->check(CLI::Range(1, 1024))
        ->group(par);
    app.add_option("--verify-concurrency", o.verify_concurrency,
                   "global cap on in-flight count(*) queries, all databases and both servers")
        ->envname("PG_MIGRATE_VERIFY_CONCURRENCY")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024))
        ->group(par);

    const std::string beh = "Behaviour";
    std::string dump_root, compress, pg_bin_dir, report_file, verify_level = "counts";
    bool no_analyze = false;
    int wait_for_servers = 0;
    app.add_option("--dump-root", dump_root, "local dump directory [default: $HOME/pg_dumps]")
        ->envname("PG_MIGRATE_DUMP_ROOT")
        ->group(beh);
    app.add_option("--migrate-globals", o.migrate_globals,
                   "migrate roles (pg_dumpall --globals-only); --migrate-globals=false skips it")
        ->envname("PG_MIGRATE_MIGRATE_GLOBALS")
        ->capture_default_str()
        ->expected(0, 1)
        ->default_str("true")
        ->group(beh);
    app.add_flag("--disable-dst-optimizations", o.disable_dst_optimizations,
                 "do not switch the target to fsync/synchronous_commit/full_page_writes off")
        ->envname("PG_MIGRATE_DISABLE_DST_OPTIMIZATIONS")
        ->group(beh);
    app.add_flag("--fast-verify", o.fast_verify,
                 "compare pg_class.reltuples instead of count(*); mismatches on non-delayed "
                 "tables become warnings")
        ->envname("PG_MIGRATE_FAST_VERIFY")
        ->group(beh);
    app.add_option("--delay-table-data", o.delay_table_data,
                   "DATABASE.TABLE_PATTERN or DATABASE.SCHEMA.TABLE_PATTERN (* and ? globs); "
                   "repeatable: load these tables' data after the rest, with secondary indexes "
                   "dropped during the load")
        ->envname("PG_MIGRATE_DELAY_TABLE_DATA")
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(beh);
    app.add_option("--compress", compress,
                   "pg_dump compression: none | gzip:N | lz4:N | zstd:N [default: zstd:5 with "
                   "pg_dump 16+, none before]")
        ->envname("PG_MIGRATE_COMPRESS")
        ->group(beh);
    app.add_option("--pg-bin-dir", pg_bin_dir,
                   "directory with pg_dump, pg_dumpall, pg_restore [default: newest major on "
                   "PATH and in /usr/lib/postgresql/*/bin]")
        ->envname("PG_MIGRATE_PG_BIN_DIR")
        ->group(beh);
    app.add_option("--verify", verify_level,
                   "what verification proves: counts (row counts per table) | checksums (row "
                   "checksums of every table, sequences, large objects, and the schema)")
        ->envname("PG_MIGRATE_VERIFY")
        ->check(CLI::IsMember({"counts", "checksums"}))
        ->capture_default_str()
        ->group(beh);
    app.add_flag("--no-analyze", no_analyze,
                 "do not VACUUM (ANALYZE) the target's tables after loading them")
        ->envname("PG_MIGRATE_NO_ANALYZE")
        ->group(beh);
    app.add_option("--include-database", o.include_databases,
                   "migrate only source databases matching PATTERN (pg_dumpall rules: * and ?, "
                   "\"quoted\" exact); repeatable")
        ->envname("PG_MIGRATE_INCLUDE_DATABASE")
        ->type_name("PATTERN")
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(beh);
    app.add_option("--exclude-database", o.exclude_databases,
                   "skip source databases matching PATTERN (as pg_dumpall --exclude-database); "
                   "repeatable")
        ->envname("PG_MIGRATE_EXCLUDE_DATABASE")
        ->type_name("PATTERN")
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(beh);
    app.add_option("--restart-database", o.restart_databases,
                   "forget this database's state (dropping the target database pg-migrate "
                   "created) and migrate it from the start; repeatable")
        ->envname("PG_MIGRATE_RESTART_DATABASE")
        ->type_name("NAME")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->group(beh);
    app.add_flag("--reset-state", o.reset_state,
                 "forget all state (markers, figures, globals) and start over; target databases "
                 "pg-migrate created are dropped first")
        ->envname("PG_MIGRATE_RESET_STATE")
        ->group(beh);
    app.add_option("--report", report_file,
                   "write a JSON report (format pg-migrate-report/1) to FILE at the end")
        ->envname("PG_MIGRATE_REPORT")
        ->type_name("FILE")
        ->group(beh);
    app.add_option("--wait-for-servers", wait_for_servers,
                   "retry the first connection to each server for up to SECONDS (a server "
                   "still starting); authentication errors fail at once")
        ->envname("PG_MIGRATE_WAIT_FOR_SERVERS")
        ->type_name("SECONDS")
        ->check(CLI::Range(0, 86400))
        ->capture_default_str()
        ->group(beh);
    bool no_progress = false;
    app.add_flag("--no-progress", no_progress, "no live progress display, even on a terminal")
        ->envname("PG_MIGRATE_NO_PROGRESS")
        ->group(beh);
    auto* plan_cmd = app.add_subcommand(
        "plan", "connect to both servers, change nothing, and print what a run would do: "
                "databases, conflicts, hazards, connection budget, dump space, tools. Takes every "
                "option of pg-migrate --help");
    auto* verify_cmd = app.add_subcommand(
        "verify", "re-verify a finished migration from scratch (new source snapshot, no cached "
                  "result): exit 0 when the target equals the source, 1 with the differences");
    for (auto* sub : {plan_cmd, verify_cmd}) sub->fallthrough();
    app.require_subcommand(0, 1);
    app.set_version_flag("-V,--version", std::string("pg-migrate ") + PGMIGRATE_VERSION);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        result.status = ParseStatus::exit_ok;
        result.message = app.help();
        for (const auto* sub : {plan_cmd, verify_cmd})
            if (sub->parsed()) result.message = sub->help();
        return result;
    } catch (const CLI::CallForVersion&) {
        result.status = ParseStatus::exit_ok;
        result.message = std::string("pg-migrate ") + PGMIGRATE_VERSION + "\n";
        return result;
    } catch (const CLI::ParseError& e) {
        result.status = ParseStatus::exit_usage;
        result.message = util::trim(e.what());
        return result;
    }

    auto usage = [&](std::string message) {
        result.status = ParseStatus::exit_usage;
        result.message = std::move(message);
        return result;
    };
    for (const auto& pattern : o.delay_table_data)
        if (auto err = validate_delay_pattern(pattern); !err.empty()) return usage(err);
    for (const auto& pattern : o.include_databases)
        if (auto err = pipeline::database_pattern_error(pattern, "--include-database"))
            return usage(*err);
    for (const auto& pattern : o.exclude_databases)
        if (auto err = pipeline::database_pattern_error(pattern, "--exclude-database"))
            return usage(*err);
    if (!compress.empty()) {
        o.compress = process::parse_compression(compress);
        if (!o.compress)
            return usage(
                fmt::format("--compress '{}' must be none, gzip:1..9, lz4:1..12 or "
                            "zstd:1..22",
                            compress));
    }
    o.dump_parallel = dump_parallel.value_or(o.max_parallel);
    o.restore_parallel = restore_parallel.value_or(o.max_parallel);

    const char* home = std::getenv("HOME");
    if (!home || !*home) return usage("HOME is not set; pg-migrate keeps its state under $HOME");
    o.state_home = home;
    o.dump_root =
        dump_root.empty() ? o.state_home / "pg_dumps" : std::filesystem::absolute(dump_root);
    if (!pg_bin_dir.empty()) o.pg_bin_dir = std::filesystem::absolute(pg_bin_dir);
    o.progress = !no_progress;
    o.analyze = !no_analyze;
    o.verify_level = verify_level == "checksums" ? pipeline::VerifyLevel::checksums
                                                 : pipeline::VerifyLevel::counts;
    if (!report_file.empty()) o.report_file = std::filesystem::absolute(report_file);
    o.wait_for_servers = std::chrono::seconds(wait_for_servers);
    if (plan_cmd->parsed()) o.command = pipeline::Command::plan;
    if (verify_cmd->parsed()) o.command = pipeline::Command::verify;

    o.from =
        to_endpoint(from, pg::Side::source,
                    app.count("--from-pass") > 0 || std::getenv("PG_MIGRATE_FROM_PASS"), "oldpass");
    o.to = to_endpoint(to, pg::Side::target,
                       app.count("--to-pass") > 0 || std::getenv("PG_MIGRATE_TO_PASS"), "newpass");
    return result;
}

}  // namespace pgmigrate::cli
