#include "pgmigrate/pipeline/preflight.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/pool.hpp"
#include "pgmigrate/pg/wait.hpp"
#include "pgmigrate/process/compression.hpp"

namespace pgmigrate::pipeline {

ServerIdentity read_identity(pg::Connection& conn) {
    const pg::Endpoint& ep = conn.endpoint();
    ServerIdentity id;
    id.address = ep.host + ":" + std::to_string(ep.port);
    if (conn.server_version() >= 90600)
        id.system_identifier = conn.query(pg::sql::kSystemIdentifier).get(0, 0);
    else  // before 9.6 no SQL function tells the system identifier: the address stands in
        id.system_identifier = "address " + id.address;
    return id;
}

ServerFacts inspect_server(const pg::Endpoint& ep) {
    auto conn = pg::connect_with_retry(ep, ep.dbname);
    ServerFacts f;
    f.major = conn.server_major();
    f.version_text = conn.server_version_text();
    f.superuser = conn.query(pg::sql::kIsSuperuser).get(0, 0) == "t";
    f.identity = read_identity(conn);
    f.limits = read_server_limits(conn);
    return f;
}

namespace {

void check_superuser(const pg::Endpoint& ep, const ServerFacts& facts) {
    if (facts.superuser) return;
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

void check_tools(const process::ClientTools& tools, int source_major, int target_major) {
    spdlog::info("client tools: {}", tools.reason);
    if (tools.version.major < source_major)
        throw Error(
            ExitCode::local,
            fmt::format("pg_dump {} ({}) is older than the source server (PostgreSQL {}) "
                        "and refuses to dump it; install the PostgreSQL {} client tools "
                        "or newer and point --pg-bin-dir at them",
                        tools.version.text, tools.pg_dump.string(), source_major, source_major));
    if (tools.version.major < target_major)
        spdlog::warn(
            "pg_restore {} is older than the target server (PostgreSQL {}); this usually "
            "works, but newer client tools are safer",
            tools.version.text, target_major);
    if (tools.version.major > target_major)
        spdlog::warn(
            "pg_restore {} is newer than the target server (PostgreSQL {}); PostgreSQL promises "
            "restoring into the same or a newer major only",
            tools.version.text, target_major);
}

}  // namespace

Preflight run_preflight(const Config& config) {
    Preflight p;
    pg::wait_for_server(config.from, config.wait_for_servers);
    pg::wait_for_server(config.to, config.wait_for_servers);
    p.source = inspect_server(config.from);
    spdlog::info("source: {} (PostgreSQL {})", config.from.describe(), p.source.version_text);
    p.target = inspect_server(config.to);
    spdlog::info("target: {} (PostgreSQL {})", config.to.describe(), p.target.version_text);
    p.tools = process::select_client_tools(config.pg_bin_dir, p.source.major, p.target.major);
    check_tools(p.tools, p.source.major, p.target.major);
    check_superuser(config.from, p.source);
    check_superuser(config.to, p.target);
    auto spec = config.compress.value_or(process::default_compression(p.tools.version.major));
    p.compression_argument = process::compression_argument(spec, p.tools.version.major);
    p.compression = process::to_string(spec);
    p.compression_method = spec.method;
    spdlog::info("dump compression: {}", p.compression);

    p.budget = fit_budget(budget_for(config), p.source.limits, p.target.limits, p.budget_notes);
    for (const auto& note : p.budget_notes) spdlog::warn("connection budget: lowering {}", note);
    spdlog::info("connection budget: source {} of {} ; target {} of {}", p.budget.source_formula(),
                 p.source.limits.describe(), p.budget.target_formula(), p.target.limits.describe());
    return p;
}

}  // namespace pgmigrate::pipeline
