#include "pgmigrate/pipeline/globals.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pg/sql_script.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/secrets.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {

const char* const kGlobalsFormat = "pg-migrate-globals/1";
namespace {

// Statement prefixes (lower case, single-spaced) followed by a role name.
const char* const kRolePrefixes[] = {"create role ", "alter role ", "create user ", "alter user ",
                                     "comment on role "};

std::string normalise_spaces(std::string_view text) {
    std::string out;
    bool space = false;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

// The role a CREATE/ALTER ROLE-like statement is about, or nullopt for other statements.
std::optional<std::string> statement_role(const std::string& stmt) {
    std::string norm = normalise_spaces(stmt);
    std::string lower = util::to_lower(norm);
    for (const char* prefix : kRolePrefixes) {
        std::string_view p(prefix);
        if (lower.compare(0, p.size(), p) == 0) {
            size_t pos = p.size();
            return pg::read_identifier(norm, pos);
        }
    }
    return std::nullopt;
}

}  // namespace

GlobalsPlan plan_globals(std::string_view dumpall_output, const std::string& protected_role) {
    GlobalsPlan plan;
    for (auto& item : pg::split_script(dumpall_output)) {
        if (item.meta) continue;  // \connect, \restrict, \unrestrict: psql-only
        auto role = statement_role(item.text);
        if (role && *role == protected_role) {
            plan.skipped.push_back(item.text);
            continue;
        }
        plan.statements.push_back(std::move(item.text));
    }
    return plan;
}

void migrate_globals(Context& ctx) {
    const auto& o = ctx.options;
    auto file = o.dump_root / "globals.sql";
    auto cmd =
        ctx.tool_command(ctx.tools.pg_dumpall, o.from, "",
                         {"--globals-only", "--dbname=" + o.from.child_conninfo(o.from.dbname),
                          "--file=" + file.string()});
    spdlog::info("globals: pg_dumpall --globals-only from {}", o.from.describe());
    process::run_checked(cmd, ctx.stderr_logger(cmd.label), o.from.failure_code());
    auto text = util::read_file(file);
    // It holds the roles' password hashes: keep it no longer than needed.
    std::error_code ec;
    std::filesystem::remove(file, ec);
    if (!text) throw Error(ExitCode::local, "pg_dumpall wrote no output file " + file.string());

    GlobalsPlan plan = plan_globals(*text, o.to.user);
    for (const auto& s : plan.skipped)
        spdlog::info("globals: skipped (would change the target's migration user {}): {}",
                     o.to.user, util::mask_secrets(util::trim(s)));
    auto conn = ctx.target(o.to.dbname);
    int applied = 0, existing = 0, failed = 0;
    for (const auto& stmt : plan.statements) {
        try {
            conn->execute(stmt);
            ++applied;
        } catch (const pg::PgError& e) {
            if (e.sqlstate() == "42710") {  // duplicate_object: role/tablespace already exists
                ++existing;
                continue;
            }
            ++failed;
            spdlog::warn("globals: statement failed on {}: {} ({})", o.to.describe(),
                         util::mask_secrets(stmt), util::trim(e.what()).substr(0, 300));
        }
    }
    spdlog::info("globals: {} statements applied, {} already existed, {} failed", applied, existing,
                 failed);
    ctx.state.write_json(
        ctx.state.globals_file(), kGlobalsFormat,
        {{"source", ctx.source_identity.to_json()}, {"target", ctx.target_identity.to_json()}});
}

}  // namespace pgmigrate::pipeline
