#include "pgmigrate/cli/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "pgmigrate/pipeline/database_filter.hpp"
#include "pgmigrate/pipeline/delay_patterns.hpp"
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

// The environment variable of a flag: PG_MIGRATE_ and the long name in capitals, '-' as '_'
// (--dump-jobs: PG_MIGRATE_DUMP_JOBS), so no option can be given a name that breaks the rule.
std::string env_name(const std::string& flags) {
    std::string name = flags.substr(flags.rfind(',') + 1);
    std::string env = "PG_MIGRATE_";
    for (char c : name.substr(name.find_first_not_of('-')))
        env += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return env;
}

template <typename T>
CLI::Option* env_option(CLI::App& app, const std::string& flags, T& into, const std::string& help,
                        const std::string& group) {
    return app.add_option(flags, into, help)->envname(env_name(flags))->group(group);
}

CLI::Option* env_flag(CLI::App& app, const std::string& flags, bool& into, const std::string& help,
                      const std::string& group) {
    return app.add_flag(flags, into, help)->envname(env_name(flags))->group(group);
}

void add_side(CLI::App& app, SideFlags& f, const std::string& side, const std::string& what,
              const std::string& default_pass, const std::string& db_purpose) {
    const std::string group = what + " connection";
    env_option(app, "--" + side + "-host", f.host, what + " host", group)->capture_default_str();
    env_option(app, "--" + side + "-port", f.port, what + " port", group)
        ->capture_default_str()
        ->check(CLI::Range(1, 65535));
    env_option(app, "--" + side + "-user", f.user, what + " user (a superuser)", group)
        ->capture_default_str();
    env_option(app, "--" + side + "-pass", f.pass,
               what + " password [default: " + default_pass +
                   " unless PGPASSWORD, PGPASSFILE or ~/.pgpass supplies one]",
               group);
    env_option(app, "--" + side + "-db", f.db, what + " database for " + db_purpose, group)
        ->capture_default_str();
    env_option(app, "--" + side + "-sslmode", f.sslmode, what + " libpq sslmode", group)
        ->check(CLI::IsMember(kSslModes));
    env_option(app, "--" + side + "-sslrootcert", f.sslrootcert,
               what + " CA certificate file (libpq sslrootcert)", group);
    env_option(app, "--" + side + "-sslcert", f.sslcert, what + " client certificate (sslcert)",
               group);
    env_option(app, "--" + side + "-sslkey", f.sslkey, what + " client key (sslkey)", group);
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

const std::string kParallelism = "Parallelism";
const std::string kBehaviour = "Behaviour";

// Flags that are read into something else than a Config field, converted by to_config.
struct RawFlags {
    SideFlags from, to;
    std::optional<int> dump_parallel, restore_parallel;
    std::string dump_root, compress, pg_bin_dir, report_file, verify_level = "counts";
    bool no_analyze = false;
    bool no_progress = false;
    int wait_for_servers = 0;
};

struct Subcommands {
    CLI::App* plan = nullptr;
    CLI::App* verify = nullptr;
};

// A repeatable option whose environment variable holds a comma-separated list.
CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<std::string>& into,
                             const std::string& help) {
    return env_option(app, name, into, help, kBehaviour)
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void add_parallelism_flags(CLI::App& app, pipeline::Config& o, RawFlags& raw) {
    env_option(app, "--dump-jobs", o.dump_jobs, "pg_dump -j per database", kParallelism)
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    env_option(app, "--restore-jobs", o.restore_jobs,
               "pg_restore -j per database; also bounds parallel CREATE INDEX in the delayed phase",
               kParallelism)
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    env_option(app, "-p,--max-parallel", o.max_parallel, "databases dumped/restored concurrently",
               kParallelism)
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    env_option(app, "--dump-parallel", raw.dump_parallel,
               "source-side concurrent dumps [default: --max-parallel]", kParallelism)
        ->check(CLI::Range(1, 1024));
    env_option(app, "--restore-parallel", raw.restore_parallel,
               "target-side concurrent restores [default: --max-parallel]", kParallelism)
        ->check(CLI::Range(1, 1024));
    env_option(app, "--verify-concurrency", o.verify_concurrency,
               "global cap on in-flight count(*) queries, all databases and both servers",
               kParallelism)
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
}

void add_behaviour_flags(CLI::App& app, pipeline::Config& o, RawFlags& raw) {
    env_option(app, "--dump-root", raw.dump_root, "local dump directory [default: $HOME/pg_dumps]",
               kBehaviour);
    env_option(app, "--migrate-globals", o.migrate_globals,
               "migrate roles (pg_dumpall --globals-only); --migrate-globals=false skips it",
               kBehaviour)
        ->capture_default_str()
        ->expected(0, 1)
        ->default_str("true");
    env_flag(app, "--disable-dst-optimizations", o.disable_dst_optimizations,
             "do not switch the target to fsync/synchronous_commit/full_page_writes off",
             kBehaviour);
    env_flag(app, "--fast-verify", o.fast_verify,
             "compare pg_class.reltuples instead of count(*); mismatches on non-delayed "
             "tables become warnings",
             kBehaviour);
    add_list_option(app, "--delay-table-data", o.delay_table_data,
                    "DATABASE.TABLE_PATTERN or DATABASE.SCHEMA.TABLE_PATTERN (* and ? globs); "
                    "repeatable: load these tables' data after the rest, with secondary indexes "
                    "dropped during the load");
    env_option(app, "--compress", raw.compress,
               "pg_dump compression: none | gzip:N | lz4:N | zstd:N [default: zstd:5 with "
               "pg_dump 16+, none before]",
               kBehaviour);
    env_option(app, "--pg-bin-dir", raw.pg_bin_dir,
               "directory with pg_dump, pg_dumpall, pg_restore [default: newest major on "
               "PATH and in /usr/lib/postgresql/*/bin]",
               kBehaviour);
    env_option(app, "--verify", raw.verify_level,
               "what verification proves: counts (row counts per table) | checksums (row "
               "checksums of every table, sequences, large objects, and the schema)",
               kBehaviour)
        ->check(CLI::IsMember({"counts", "checksums"}))
        ->capture_default_str();
    env_flag(app, "--no-analyze", raw.no_analyze,
             "do not VACUUM (ANALYZE) the target's tables after loading them (with pg_dump 18+ "
             "and an 18+ target: do not carry the planner statistics in the dump either)",
             kBehaviour);
}

// Which databases, what state, and what the run reports.
void add_selection_and_output_flags(CLI::App& app, pipeline::Config& o, RawFlags& raw) {
    add_list_option(app, "--include-database", o.include_databases,
                    "migrate only source databases matching PATTERN (pg_dumpall rules: * and ?, "
                    "\"quoted\" exact); repeatable")
        ->type_name("PATTERN");
    add_list_option(app, "--exclude-database", o.exclude_databases,
                    "skip source databases matching PATTERN (as pg_dumpall --exclude-database); "
                    "repeatable")
        ->type_name("PATTERN");
    env_option(app, "--restart-database", o.restart_databases,
               "forget this database's state (dropping the target database pg-migrate "
               "created) and migrate it from the start; repeatable",
               kBehaviour)
        ->type_name("NAME")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    env_flag(app, "--reset-state", o.reset_state,
             "forget all state (markers, figures, globals) and start over; target databases "
             "pg-migrate created are dropped first",
             kBehaviour);
    env_option(app, "--report", raw.report_file,
               "write a JSON report (format pg-migrate-report/1) to FILE at the end", kBehaviour)
        ->type_name("FILE");
    env_option(app, "--wait-for-servers", raw.wait_for_servers,
               "retry the first connection to each server for up to SECONDS (a server "
               "still starting); authentication errors fail at once",
               kBehaviour)
        ->type_name("SECONDS")
        ->check(CLI::Range(0, 86400))
        ->capture_default_str();
    env_flag(app, "--no-progress", raw.no_progress, "no live progress display, even on a terminal",
             kBehaviour);
}

Subcommands add_subcommands(CLI::App& app) {
    auto* plan_cmd = app.add_subcommand(
        "plan",
        "connect to both servers, change nothing, and print what a run would do: "
        "databases, conflicts, hazards, connection budget, dump space, tools. Takes every "
        "option of pg-migrate --help");
    auto* verify_cmd = app.add_subcommand(
        "verify",
        "re-verify a finished migration from scratch (new source snapshot, no cached "
        "result): exit 0 when the target equals the source, 1 with the differences");
    for (auto* sub : {plan_cmd, verify_cmd}) sub->fallthrough();
    app.require_subcommand(0, 1);
    return {plan_cmd, verify_cmd};
}

// Runs CLI11. False when parsing ended the command line's work: help, version or a usage error
// (result says which).
bool parse_argv(CLI::App& app, const Subcommands& subs, int argc, const char* const* argv,
                ParseResult& result) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        result.status = ParseStatus::exit_ok;
        result.message = app.help();
        for (const auto* sub : {subs.plan, subs.verify})
            if (sub->parsed()) result.message = sub->help();
        return false;
    } catch (const CLI::CallForVersion&) {
        result.status = ParseStatus::exit_ok;
        result.message = std::string("pg-migrate ") + PGMIGRATE_VERSION + "\n";
        return false;
    } catch (const CLI::ParseError& e) {
        result.status = ParseStatus::exit_usage;
        result.message = util::trim(e.what());
        return false;
    }
    return true;
}

// The checks CLI11 cannot make and the conversions into Config. An error line, or nullopt.
std::optional<std::string> to_config(const RawFlags& raw, const CLI::App& app,
                                     const Subcommands& subs, pipeline::Config& o) {
    for (const auto& pattern : o.delay_table_data)
        if (auto err = pipeline::delay_pattern_error(pattern); !err.empty()) return err;
    for (const auto& pattern : o.include_databases)
        if (auto err = pipeline::database_pattern_error(pattern, "--include-database")) return err;
    for (const auto& pattern : o.exclude_databases)
        if (auto err = pipeline::database_pattern_error(pattern, "--exclude-database")) return err;
    if (!raw.compress.empty()) {
        o.compress = process::parse_compression(raw.compress);
        if (!o.compress)
            return fmt::format("--compress '{}' must be none, gzip:1..9, lz4:1..12 or zstd:1..22",
                               raw.compress);
    }
    o.dump_parallel = raw.dump_parallel.value_or(o.max_parallel);
    o.restore_parallel = raw.restore_parallel.value_or(o.max_parallel);

    const char* home = std::getenv("HOME");
    if (!home || !*home) return "HOME is not set; pg-migrate keeps its state under $HOME";
    o.state_home = home;
    o.dump_root = raw.dump_root.empty() ? o.state_home / "pg_dumps"
                                        : std::filesystem::absolute(raw.dump_root);
    if (!raw.pg_bin_dir.empty()) o.pg_bin_dir = std::filesystem::absolute(raw.pg_bin_dir);
    o.progress = !raw.no_progress;
    o.analyze = !raw.no_analyze;
    o.verify_level = raw.verify_level == "checksums" ? pipeline::VerifyLevel::checksums
                                                     : pipeline::VerifyLevel::counts;
    if (!raw.report_file.empty()) o.report_file = std::filesystem::absolute(raw.report_file);
    o.wait_for_servers = std::chrono::seconds(raw.wait_for_servers);
    if (subs.plan->parsed()) o.command = pipeline::Command::plan;
    if (subs.verify->parsed()) o.command = pipeline::Command::verify;

    o.from =
        to_endpoint(raw.from, pg::Side::source,
                    app.count("--from-pass") > 0 || std::getenv("PG_MIGRATE_FROM_PASS"), "oldpass");
    o.to = to_endpoint(raw.to, pg::Side::target,
                       app.count("--to-pass") > 0 || std::getenv("PG_MIGRATE_TO_PASS"), "newpass");
    return std::nullopt;
}

}  // namespace

ParseResult parse_command_line(int argc, const char* const* argv) {
    CLI::App app(kDescription, "pg-migrate");
    app.get_formatter()->column_width(44);
    // A flag given twice (say, in a wrapper script and again by hand): the last one wins.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    ParseResult result;
    RawFlags raw;
    add_side(app, raw.from, "from", "Source", "oldpass", "discovery and globals");
    add_side(app, raw.to, "to", "Target", "newpass", "ALTER SYSTEM and globals");
    add_parallelism_flags(app, result.options, raw);
    add_behaviour_flags(app, result.options, raw);
    add_selection_and_output_flags(app, result.options, raw);
    Subcommands subs = add_subcommands(app);
    app.set_version_flag("-V,--version", std::string("pg-migrate ") + PGMIGRATE_VERSION);

    if (!parse_argv(app, subs, argc, argv, result)) return result;
    if (auto error = to_config(raw, app, subs, result.options)) {
        result.status = ParseStatus::exit_usage;
        result.message = std::move(*error);
    }
    return result;
}

}  // namespace pgmigrate::cli
