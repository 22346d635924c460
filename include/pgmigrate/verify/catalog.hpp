#pragma once
// The catalog SQL of verification, in one place, each with what it returns (the rest of
// pg-migrate's SQL is in pg/catalog.hpp).
#include <string>

#include "pgmigrate/pg/catalog.hpp"

namespace pgmigrate::verify::sql {

// A select-list item setting session setting $n to $n+1 (set_config(..., false)); several
// are joined into one SELECT by pin_session_settings.
std::string set_session_setting(int first_parameter);

// A select-list item: client_encoding = the database encoding, the encoding pg_dump writes.
inline constexpr const char* kClientEncodingFromServer =
    "pg_catalog.set_config('client_encoding', pg_catalog.current_setting('server_encoding'), "
    "false)";

// (table oid, schema, table, column or NULL, kind): one row per column pg_dump's COPY carries
// (not dropped, not generated) of every ordinary table whose data pg_dump copies (the tables of
// pg/catalog.hpp kUserTables), in attnum order; a table without such columns has one row with
// a NULL column. kind is 'float4', 'float8', 'float4[]', 'float8[]' (domains resolved to their
// base type) or 'text'; the sixth column is the column's type oid, for the kinds type_tree.hpp
// resolves (domains of domains, arrays of domains, composites, ranges, geometric types).
std::string table_shapes(int server_major);

// (oid, typtype, base type, array element or 0, delimiter, composite relation or 0, range
// subtype or 0) of every domain, composite, range and array type: what a column type is made
// of, down to the built-in types (pg_range: 9.2 and newer).
inline constexpr const char* kTypeTree = R"SQL(
SELECT t.oid, t.typtype, t.typbasetype,
       CASE WHEN t.typlen = -1 THEN t.typelem ELSE 0 END, t.typdelim, t.typrelid,
       COALESCE(r.rngsubtype, 0)
  FROM pg_catalog.pg_type t
  LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
 WHERE t.typtype IN ('d', 'c', 'r') OR (t.typlen = -1 AND t.typelem <> 0))SQL";

// (relation oid, type oid) of every field of the composite types whose relations are in $1
// (an oid[] literal), in field order; dropped fields are not in a composite's text.
inline constexpr const char* kCompositeFields = R"SQL(
SELECT a.attrelid, a.atttypid
  FROM pg_catalog.pg_attribute a
 WHERE a.attrelid = ANY ($1::pg_catalog.oid[]) AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum)SQL";

// (schema, name) of every sequence that pg_dump dumps (not an extension member's).
inline const std::string kSequences = std::string(R"SQL(
SELECT n.nspname, c.relname
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'S'
   AND )SQL") + pg::sql::kUserRelation + R"SQL(
 ORDER BY 1, 2)SQL";

// (last_value, is_called) of one sequence; the caller appends the quoted qualified name.
inline constexpr const char* kSequencePositionFrom = "SELECT last_value, is_called FROM ";

// (oid) of every large object, in oid order.
inline constexpr const char* kLargeObjects =
    "SELECT oid FROM pg_catalog.pg_largeobject_metadata ORDER BY oid";

// (bytea) up to $3 bytes of large object $1 from offset $2 (lo_get: 9.4 and newer).
inline constexpr const char* kLargeObjectChunk =
    "SELECT pg_catalog.lo_get($1::oid, $2::bigint, $3::integer)";

// (count) rows of one table itself (not its inheritance children, which pg_dump copies apart);
// the caller appends the quoted qualified name.
inline constexpr const char* kCountFrom = "SELECT count(*) FROM ONLY ";

// (snapshot id): exports the snapshot of the current REPEATABLE READ transaction.
inline constexpr const char* kExportSnapshot = "SELECT pg_catalog.pg_export_snapshot()";

// (name, attributes) of every role but the connected user and the pg_ built-in roles;
// attributes is one text such as "SUPERUSER INHERIT ... CONNECTION LIMIT -1 VALID UNTIL ...".
std::string roles(int server_version);  // server_version: e.g. 90624, 150018

// (role, member, admin option) of every membership between roles of kRoles' kind.
inline constexpr const char* kRoleMemberships = R"SQL(
SELECT DISTINCT r.rolname, m.rolname, a.admin_option
  FROM pg_auth_members a
  JOIN pg_roles r ON r.oid = a.roleid
  JOIN pg_roles m ON m.oid = a.member
 WHERE r.rolname !~ '^pg_' AND m.rolname !~ '^pg_'
   AND r.rolname <> current_user AND m.rolname <> current_user
 ORDER BY 1, 2, 3)SQL";

// (role, "name=value") of every ALTER ROLE ... SET that is not for one database.
inline constexpr const char* kRoleSettings = R"SQL(
SELECT r.rolname, c.cfg
  FROM pg_db_role_setting s
  JOIN pg_roles r ON r.oid = s.setrole,
       unnest(s.setconfig) AS c(cfg)
 WHERE s.setdatabase = 0 AND r.rolname !~ '^pg_' AND r.rolname <> current_user
 ORDER BY 1, 2)SQL";

// (kind, object, definition) of every user object, for comparing schemas where pg_dump cannot
// read one of the servers (a target newer than the client tools): schemas, tables and their
// columns (position, type, NOT NULL, default), constraints, indexes, views, sequences,
// functions, triggers, policies, rules, types, extensions, with owners, ACLs and comments.
// Extension members and system schemas are left out. Run with search_path = '' so every
// definition is schema-qualified.
std::string schema_catalog(int server_version);

}  // namespace pgmigrate::verify::sql
