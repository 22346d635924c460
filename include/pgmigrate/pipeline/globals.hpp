#pragma once
// Roles and other global objects (pg_dumpall --globals-only) onto the target, without touching
// the target's own migration user. run_migration does this once, after the target settings and
// before the per-database tasks start.
#include <string>
#include <string_view>
#include <vector>

namespace pgmigrate::pipeline {

class Context;

struct GlobalsPlan {
    std::vector<std::string> statements;  // to execute on the target, in order
    std::vector<std::string> skipped;     // statements dropped because they touch the user
};

// Drops psql meta-commands (\connect, \restrict, \unrestrict) and every CREATE ROLE / ALTER ROLE
// (ALTER USER, CREATE USER, COMMENT ON ROLE) statement whose role is exactly `protected_role`
// (quoted or bare, never a substring match).
GlobalsPlan plan_globals(std::string_view dumpall_output, const std::string& protected_role);

// Runs pg_dumpall --globals-only on the source and applies the plan on the target; "already
// exists" is expected, other failures are warnings. Writes globals.done (format
// kGlobalsFormat) naming the server pair, so another pair's run does it again.
void migrate_globals(Context& ctx);
extern const char* const kGlobalsFormat;

}  // namespace pgmigrate::pipeline
