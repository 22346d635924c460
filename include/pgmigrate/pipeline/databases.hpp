#pragma once
// Steps 2 and 5: which databases the source has (and which of them a run takes), and creating each
// on the target as it was: owner, encoding, locale (and provider), connection limit, comment,
// database GRANTs, and ALTER DATABASE/ROLE ... SET.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/database_filter.hpp"
#include "pgmigrate/pipeline/steps.hpp"

namespace pgmigrate::pg {
class Connection;
}

namespace pgmigrate::pipeline {

class Context;

// Where a source database goes on the target: a database of its own that pg-migrate creates,
// or the target's existing database of the same name (postgres and template1: their user
// objects are carried into the target's own, as pg_dumpall does; no CREATE DATABASE).
enum class Placement { create, existing };
const char* placement_name(Placement placement);

struct SourceDatabase {
    std::string name;
    std::string oid;
    std::uint64_t size_bytes = 0;
    Placement placement = Placement::create;
    std::optional<std::string> skip_reason = std::nullopt;  // set: not migrated, and why

    bool migrated() const { return !skip_reason; }
};

// One row of the source's pg_database, as the discovery query reads it.
struct DatabaseRow {
    std::string name;
    std::uint64_t size_bytes = 0;
    bool is_template = false;
    bool allow_connections = true;
    std::string oid = {};
};

// The decision for every row: template0, other templates and databases that allow no
// connections are skipped; then the filter; postgres and template1 go into the target's
// existing databases. Smallest first, then by name.
std::vector<SourceDatabase> decide_databases(std::vector<DatabaseRow> rows,
                                             const DatabaseFilter& filter);

// Every database of the source with its decision (see decide_databases).
std::vector<SourceDatabase> discover_databases(pg::Connection& source,
                                               const DatabaseFilter& filter);
std::vector<SourceDatabase> discover_databases(Context& ctx);

struct DatabaseDefinition {
    std::string name;
    std::string owner;
    std::string encoding;
    std::string collate, ctype;
    std::string provider = "c";  // 'c' libc, 'i' icu, 'b' builtin
    std::optional<std::string> provider_locale;
    int connection_limit = -1;
    std::optional<std::string> comment;
    bool default_acl = true;
    struct Grant {
        std::optional<std::string> grantee;  // nullopt: PUBLIC
        std::string privilege;
        bool grantable = false;
    };
    std::vector<Grant> grants;
    struct Setting {
        std::optional<std::string> role;  // nullopt: ALTER DATABASE ... SET
        std::string name, value;
    };
    std::vector<Setting> settings;
};

DatabaseDefinition read_definition(pg::Connection& source, const std::string& db);
nlohmann::json definition_to_json(const DatabaseDefinition& def);
DatabaseDefinition definition_from_json(const nlohmann::json& doc);

// CREATE DATABASE for a target of major target_major (owner omitted when owner_exists is false).
std::string create_database_sql(const DatabaseDefinition& def, int target_major, bool owner_exists);
// COMMENT, GRANT/REVOKE, ALTER DATABASE/ROLE ... SET statements that finish the database.
std::vector<std::string> database_property_sql(const DatabaseDefinition& def, bool owner_exists);
// One "name=value" entry of pg_db_role_setting as the SQL value of SET name TO <value>.
std::string setting_value_sql(const std::string& name, const std::string& value);

// Makes an empty target database from the definition, ready for pg_restore. It is created
// under a temporary name, its OID recorded in the created marker, then renamed: a database
// pg-migrate did not record is never dropped. One recorded earlier (not restored yet, or left
// under its temporary name) is dropped by its OID first. A database of that name that
// pg-migrate did not create is an error (exit 4) and nothing is changed.
void prepare_target_database(Context& ctx, const std::string& db, const DatabaseDefinition& def,
                             const StepInputs& inputs);
// Drops the database a created marker records: by its OID, or (killed between recording the
// temporary name and CREATE finishing) by that unique temporary name. Nothing else.
void drop_recorded_database(Context& ctx, const nlohmann::json& created_marker);
extern const char* const kTemporaryPrefix;  // "pgmigrate_new_"
// Drops the target database with this OID, if it still exists (whatever its name now), over a
// target connection the caller holds (to its maintenance database).
void drop_database_by_oid(Context& ctx, pg::Connection& conn, const std::string& oid);

}  // namespace pgmigrate::pipeline
