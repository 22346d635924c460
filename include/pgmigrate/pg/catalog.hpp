#pragma once
// The catalog queries pg-migrate sends, in one place, each with what it returns; version
// differences between server majors are resolved here. Not here: statements built around a
// quoted name where they are used (count(*) of a table, a sequence's last_value, DDL, ALTER
// SYSTEM).
#include <string>

namespace pgmigrate::pg::sql {

// (datname, size_bytes, datistemplate, datallowconn, oid): every database of the server,
// smallest first; pipeline/databases decides which are migrated. size_bytes is NULL where the
// user may not connect (pg_database_size would fail).
inline constexpr const char* kDiscoverDatabases = R"SQL(
SELECT d.datname,
       CASE WHEN has_database_privilege(d.oid, 'CONNECT') THEN pg_database_size(d.oid) END,
       d.datistemplate, d.datallowconn, d.oid
  FROM pg_database d
 ORDER BY 2 NULLS FIRST, 1)SQL";

// (datname, size_bytes) of every database the user may connect to (progress: bytes restored).
inline constexpr const char* kDatabaseSizes = R"SQL(
SELECT datname, pg_database_size(oid) FROM pg_database
 WHERE datallowconn AND has_database_privilege(oid, 'CONNECT'))SQL";

// (owner, encoding, collate, ctype, connlimit, comment, provider, icu_locale) of database $1.
// provider is 'c' (libc), 'i' (icu) or 'b' (builtin); icu_locale is NULL for libc.
std::string database_properties(int server_major);

// (max_connections, reserved connections, client connections of others): what the server
// allows pg-migrate. reserved is superuser_reserved_connections (+ reserved_connections, 16+).
std::string server_connection_limits(int server_major);

// (t/f) whether database $1 has default privileges (datacl NULL).
inline constexpr const char* kDatabaseAclIsDefault =
    "SELECT datacl IS NULL FROM pg_database WHERE datname = $1";
// (grantee or NULL for PUBLIC, privilege, grantable) for database $1 in ACL order, so the
// target's ACL array comes out in the same order; no rows when datacl is NULL.
inline constexpr const char* kDatabaseAcl = R"SQL(
SELECT CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END,
       a.privilege_type, a.is_grantable
  FROM pg_database d, aclexplode(d.datacl) WITH ORDINALITY AS a(grantor, grantee, privilege_type,
                                                                 is_grantable, n)
 WHERE d.datname = $1
 ORDER BY a.n)SQL";

// (role or NULL for ALTER DATABASE ... SET, "name=value") settings for database $1.
inline constexpr const char* kDatabaseSettings = R"SQL(
SELECT CASE WHEN s.setrole = 0 THEN NULL ELSE pg_get_userbyid(s.setrole) END, c.cfg
  FROM pg_db_role_setting s
  JOIN pg_database d ON d.oid = s.setdatabase,
       unnest(s.setconfig) WITH ORDINALITY AS c(cfg, n)
 WHERE d.datname = $1
 ORDER BY 1 NULLS FIRST, c.n)SQL";

// (1) when database $1 exists.
inline constexpr const char* kDatabaseExists = "SELECT 1 FROM pg_database WHERE datname = $1";
// (oid) of database $1; no row when it does not exist.
inline constexpr const char* kDatabaseOid = "SELECT oid FROM pg_database WHERE datname = $1";
// (datname) of the database with OID $1; no row when it does not exist.
inline constexpr const char* kDatabaseNameByOid =
    "SELECT datname FROM pg_database WHERE oid = $1::oid";
// (system_identifier) of the server: what makes it this server and no other (9.6+).
inline constexpr const char* kSystemIdentifier =
    "SELECT system_identifier::text FROM pg_control_system()";

// (rolsuper) of the connected user.
inline constexpr const char* kIsSuperuser =
    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user";

// (1) when role $1 exists.
inline constexpr const char* kRoleExists = "SELECT 1 FROM pg_roles WHERE rolname = $1";

// The condition that relation c (with its namespace n) is a user object pg_dump dumps: not in
// a system schema and not a member of an extension. Shared by every query that lists user
// relations (here and in verify/catalog).
inline constexpr const char* kUserRelation = R"SQL(n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep
                    WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
                      AND dep.deptype = 'e'))SQL";

// (schema, table, estimated rows): ordinary tables whose data pg_dump copies (not extension
// members, not catalog, not foreign or partitioned parents), in a stable order. The estimate is
// pg_class.reltuples (0 when never analyzed): the single query per side of --fast-verify.
inline const std::string kUserTables = std::string(R"SQL(
SELECT n.nspname, c.relname, GREATEST(c.reltuples, 0)::bigint
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE c.relkind = 'r'
   AND )SQL") + kUserRelation + R"SQL(
 ORDER BY 1, 2)SQL";

// (schema, table, inserted + updated + deleted rows) from the statistics of every user table:
// compared between the dump's snapshot and later to tell how far the source has moved on.
inline constexpr const char* kTableChangeCounters = R"SQL(
SELECT schemaname, relname, n_tup_ins + n_tup_upd + n_tup_del
  FROM pg_stat_user_tables)SQL";

// (setting) of name $1 as written in postgresql.auto.conf by ALTER SYSTEM; no row if absent.
inline constexpr const char* kAutoConfSetting = R"SQL(
SELECT setting FROM pg_file_settings
 WHERE name = $1 AND sourcefile LIKE '%postgresql.auto.conf'
 ORDER BY seqno DESC LIMIT 1)SQL";

// (name, setting): the live values of the settings pg-migrate changes.
inline constexpr const char* kLiveSettings = R"SQL(
SELECT name, setting FROM pg_settings
 WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'maintenance_work_mem',
                'checkpoint_completion_target')
 ORDER BY name)SQL";

// (index schema, index name, table schema, table name, CREATE INDEX ddl): non-constraint
// indexes (not PK/UNIQUE/EXCLUDE constraint indexes) of table $1.$2.
inline constexpr const char* kSecondaryIndexes = R"SQL(
SELECT ns.nspname, ic.relname, tn.nspname, tc.relname, pg_get_indexdef(i.indexrelid)
  FROM pg_index i
  JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace ns ON ns.oid = ic.relnamespace
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
 WHERE tn.nspname = $1 AND tc.relname = $2
   AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                      AND con.contype IN ('p', 'u', 'x'))
 ORDER BY ic.relname)SQL";

// (1) when index $1.$2 exists.
inline constexpr const char* kIndexExists = R"SQL(
SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('i', 'I'))SQL";

// (sequence schema, sequence name) of the sequences owned by a column of table $1.$2
// (serial/identity); the caller reads each one's last_value and is_called from the sequence
// itself, so the target can be set to the same position.
inline constexpr const char* kOwnedSequences = R"SQL(
SELECT sn.nspname, s.relname
  FROM pg_depend d
  JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_namespace sn ON sn.oid = s.relnamespace
  JOIN pg_class t ON t.oid = d.refobjid
  JOIN pg_namespace tn ON tn.oid = t.relnamespace
 WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.deptype IN ('a', 'i') AND tn.nspname = $1 AND t.relname = $2)SQL";

// (constraint oid, schema, table, name, definition, validated) of foreign keys that reference
// table $1.$2. Run with search_path = '' so definitions are schema-qualified.
inline constexpr const char* kForeignKeysReferencing = R"SQL(
SELECT c.oid, n.nspname, t.relname, c.conname, pg_get_constraintdef(c.oid), c.convalidated
  FROM pg_constraint c
  JOIN pg_class t ON t.oid = c.conrelid
  JOIN pg_namespace n ON n.oid = t.relnamespace
  JOIN pg_class r ON r.oid = c.confrelid
  JOIN pg_namespace rn ON rn.oid = r.relnamespace
 WHERE c.contype = 'f' AND rn.nspname = $1 AND r.relname = $2
 ORDER BY c.oid)SQL";

// (setval result): puts sequence $1 (a qualified, quoted name) at value $2 with is_called $3.
inline constexpr const char* kSetSequence =
    "SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)";

// ---- pg-migrate plan (read-only) ----

// (rolname, attributes, password kind, user-created): every role. attributes is a canonical
// text ("SUPERUSER NOINHERIT ... CONNECTION LIMIT -1 VALID UNTIL <ts>") comparable across
// servers; password kind is md5, scram-sha-256, other or NULL (none, or not readable without
// superuser: with_passwords false reads pg_roles). server_version as PQserverVersion.
std::string plan_roles(int server_version, bool with_passwords);

// (setting) of password_encryption.
inline constexpr const char* kPasswordEncryption = "SELECT current_setting('password_encryption')";

// (name): extensions the server can install.
inline constexpr const char* kAvailableExtensions =
    "SELECT name FROM pg_available_extensions ORDER BY 1";

// (datname): every database of the server.
inline constexpr const char* kDatabaseNames = "SELECT datname FROM pg_database ORDER BY 1";

// One row of facts about the connected database, for plan and its hazards:
// (tables, large objects, extensions "name version, ...", tables WITH OIDS (qualified names,
// NULL from 12 on, where they cannot exist), columns of the types removed in 12 (abstime,
// reltime, tinterval and their arrays: "schema.table.column type, ..."), user-defined postfix
// operators (gone in 14: "op(left,NONE), ..."), user functions). Lists are NULL when empty.
std::string plan_database_facts(int server_version);

}  // namespace pgmigrate::pg::sql
