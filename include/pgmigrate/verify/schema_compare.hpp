#pragma once
// Schema comparison: the source's schema (from the dump, or pg_dump --schema-only of a fresh
// snapshot) against pg_dump --schema-only of the target, both normalised and compared entry by
// entry (an entry is one "-- Name: ...; Type: ...; Schema: ...; Owner: ..." object of the
// dump); plus the roles and the database's own properties. Differences that dump/restore
// always makes are notes, not failures (README "Verification").
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pgmigrate/process/pg_tools.hpp"
#include "pgmigrate/verify/dump_figures.hpp"

namespace pgmigrate::pg {
class Connection;
struct Endpoint;
}  // namespace pgmigrate::pg

namespace pgmigrate::verify {

struct SchemaDiff {
    std::vector<std::string> differences;  // each one line, naming the object
    std::vector<std::string> notes;        // known inherent differences
    bool ok() const { return differences.empty(); }
    void merge(const SchemaDiff& other);
};

// Entry header ("Name: t1; Type: TABLE; Schema: public; Owner: postgres") -> the statements of
// each entry with that header, normalised: comments, blank lines, SET lines, set_config lines
// and psql \restrict/\unrestrict lines removed, trailing blanks trimmed. Text before the first
// entry is dropped.
std::map<std::string, std::vector<std::string>> schema_entries(std::string_view dump_sql);

// Compares two schema dumps. The majors decide which differences are known to be inherent.
SchemaDiff compare_schema_text(std::string_view source_sql, std::string_view target_sql,
                               int source_major, int target_major);

// pg_restore --schema-only of a directory dump, as SQL text.
std::string schema_from_dump(const fs::path& dump_dir, const fs::path& pg_restore,
                             const ChildEnvironment& environment);
// pg_dump --schema-only of database db (optionally in an exported snapshot).
std::string schema_from_server(const fs::path& pg_dump, const pg::Endpoint& endpoint,
                               const std::string& db,
                               const std::optional<std::string>& snapshot = std::nullopt);

// The same comparison from the catalogs of both servers (verify/catalog.hpp schema_catalog), for
// when pg_dump cannot read one of them (a target newer than the client tools).
SchemaDiff compare_schema_catalogs(pg::Connection& source, pg::Connection& target);

// The schema comparison of database db, as pg-migrate runs it: the source's schema from the
// dump directory when given (pg_restore --schema-only), else pg_dump --schema-only of the
// source (in `snapshot` when given), against pg_dump --schema-only of the target; when the
// client tools are older than either server, compare_schema_catalogs instead (said in a
// note). Then the database's properties. Connections are to db on each side.
SchemaDiff compare_schema(pg::Connection& source, pg::Connection& target,
                          const process::ClientTools& tools, const std::string& db,
                          const std::optional<fs::path>& dump_dir,
                          const std::optional<std::string>& snapshot,
                          const ChildEnvironment& pg_restore_environment = {});

// Roles (attributes, memberships, per-role settings) of both servers, apart from the
// connected (migration) users and the pg_ built-in roles, which pg-migrate does not carry.
SchemaDiff compare_roles(pg::Connection& source, pg::Connection& target);
// Owner, encoding, locale, connection limit, comment, grants and settings of database db.
SchemaDiff compare_database_properties(pg::Connection& source, pg::Connection& target,
                                       const std::string& db);

}  // namespace pgmigrate::verify
