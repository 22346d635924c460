#include "pgmigrate/verify/catalog.hpp"

#include <vector>

#include "pgmigrate/pg/catalog.hpp"

namespace pgmigrate::verify::sql {

std::string set_session_setting(int first_parameter) {
    return "pg_catalog.set_config($" + std::to_string(first_parameter) + ", $" +
           std::to_string(first_parameter + 1) + ", false)";
}

std::string table_shapes(int server_major) {
    // Generated columns (12 and newer) are not in pg_dump's COPY column list.
    std::string not_generated = server_major >= 12 ? " AND a.attgenerated = ''" : "";
    return R"SQL(
SELECT c.oid, n.nspname, c.relname, a.attname,
       CASE COALESCE(NULLIF(t.typbasetype, 0), a.atttypid)
         WHEN 'float4'::regtype THEN 'float4' WHEN 'float8'::regtype THEN 'float8'
         WHEN 'float4[]'::regtype THEN 'float4[]' WHEN 'float8[]'::regtype THEN 'float8[]'
         ELSE 'text' END, a.atttypid
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)SQL" +
           not_generated + R"SQL(
  LEFT JOIN pg_type t ON t.oid = a.atttypid
 WHERE c.relkind = 'r'
   AND )SQL" +
           pg::sql::kUserRelation + R"SQL(
 ORDER BY n.nspname, c.relname, a.attnum)SQL";
}

std::string roles(int server_version) {
    // rolbypassrls arrived in 9.5.
    std::string bypass = server_version >= 90500
                             ? "CASE WHEN rolbypassrls THEN ' BYPASSRLS' ELSE ' NOBYPASSRLS' END"
                             : "''";
    return R"SQL(
SELECT rolname,
       CASE WHEN rolsuper THEN 'SUPERUSER' ELSE 'NOSUPERUSER' END ||
       CASE WHEN rolinherit THEN ' INHERIT' ELSE ' NOINHERIT' END ||
       CASE WHEN rolcreaterole THEN ' CREATEROLE' ELSE ' NOCREATEROLE' END ||
       CASE WHEN rolcreatedb THEN ' CREATEDB' ELSE ' NOCREATEDB' END ||
       CASE WHEN rolcanlogin THEN ' LOGIN' ELSE ' NOLOGIN' END ||
       CASE WHEN rolreplication THEN ' REPLICATION' ELSE ' NOREPLICATION' END || )SQL" +
           bypass + R"SQL( ||
       ' CONNECTION LIMIT ' || rolconnlimit ||
       COALESCE(' VALID UNTIL ' || rolvaliduntil::text, '')
  FROM pg_roles
 WHERE rolname !~ '^pg_' AND rolname <> current_user
 ORDER BY 1)SQL";
}

namespace {

// The common table expressions every part of schema_catalog reads: the user's schemas, what
// belongs to an extension (left out), and the user's relations with their quoted names.
constexpr const char* kCatalogScope = R"SQL(
WITH user_ns AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema')
     AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp%'),
ext_member AS (
  SELECT classid, objid FROM pg_catalog.pg_depend WHERE deptype = 'e'),
rel AS (
  SELECT c.oid, c.relname, c.relkind, n.nspname,
         pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname) AS ident
    FROM pg_catalog.pg_class c JOIN user_ns n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c')
     AND NOT EXISTS (SELECT 1 FROM ext_member e
                      WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
                        AND e.objid = c.oid)))SQL";

constexpr const char* kSchemaRows = R"SQL(
SELECT 'schema', pg_catalog.quote_ident(n.nspname),
       'owner ' || pg_catalog.pg_get_userbyid(s.nspowner) || ' acl ' ||
       COALESCE(s.nspacl::text, '-') || ' comment ' ||
       COALESCE(pg_catalog.obj_description(s.oid, 'pg_namespace'), '-')
  FROM user_ns n JOIN pg_catalog.pg_namespace s ON s.oid = n.oid)SQL";

constexpr const char* kRelationRows = R"SQL(
SELECT 'relation', r.ident,
       'kind ' || r.relkind::text || ' owner ' || pg_catalog.pg_get_userbyid(c.relowner) ||
       ' persistence ' || c.relpersistence::text || ' acl ' || COALESCE(c.relacl::text, '-') ||
       ' options ' || COALESCE(c.reloptions::text, '-') || ' inherits ' ||
       COALESCE((SELECT pg_catalog.string_agg(i.inhparent::pg_catalog.regclass::text, ','
                                              ORDER BY i.inhseqno)
                   FROM pg_catalog.pg_inherits i WHERE i.inhrelid = c.oid), '-') ||
       ' comment ' || COALESCE(pg_catalog.obj_description(c.oid, 'pg_class'), '-')
  FROM rel r JOIN pg_catalog.pg_class c ON c.oid = r.oid)SQL";

constexpr const char* kColumnRows = R"SQL(
SELECT 'column', r.ident || ' ' || pg_catalog.quote_ident(a.attname),
       '#' || pg_catalog.row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) ||
       CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = a.attrelid)
            THEN ' child ' ELSE ' ' END ||
       pg_catalog.format_type(a.atttypid, a.atttypmod) ||
       CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END ||
       COALESCE(' DEFAULT ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), '') ||
       ' acl ' || COALESCE(a.attacl::text, '-') || ' comment ' ||
       COALESCE(pg_catalog.col_description(a.attrelid, a.attnum), '-')
  FROM rel r JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid
  LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped AND r.relkind <> 'S')SQL";

constexpr const char* kConstraintRows = R"SQL(
SELECT 'constraint', COALESCE(r.ident, pg_catalog.format_type(con.contypid, NULL)) || ' ' ||
       pg_catalog.quote_ident(con.conname),
       pg_catalog.pg_get_constraintdef(con.oid) || CASE WHEN con.convalidated THEN ''
                                                        ELSE ' (not validated)' END
  FROM pg_catalog.pg_constraint con
  JOIN user_ns n ON n.oid = con.connamespace
  LEFT JOIN rel r ON r.oid = con.conrelid
 WHERE (con.conrelid = 0 OR r.oid IS NOT NULL)
   AND con.contype <> 'n'  -- NOT NULL (a constraint row since 18) is in the column's line
)SQL";

constexpr const char* kIndexRows = R"SQL(
SELECT 'index', r.ident || ' ' || pg_catalog.quote_ident(ic.relname),
       pg_catalog.pg_get_indexdef(i.indexrelid)
  FROM pg_catalog.pg_index i JOIN rel r ON r.oid = i.indrelid
  JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid)SQL";

constexpr const char* kViewRows = R"SQL(
SELECT 'view', r.ident, pg_catalog.pg_get_viewdef(r.oid, true)
  FROM rel r WHERE r.relkind IN ('v', 'm'))SQL";

// pg_sequence arrived in 10; before, a sequence's parameters are only in the relation.
constexpr const char* kSequenceRows = R"SQL(
SELECT 'sequence', r.ident,
       pg_catalog.format_type(s.seqtypid, NULL) || ' start ' || s.seqstart || ' increment ' ||
       s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' ||
       s.seqcache || ' cycle ' || s.seqcycle::text
  FROM rel r JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid)SQL";

std::string function_rows(int server_version) {
    // prokind arrived in 11 (proisagg/proiswindow before).
    std::string plain_function = server_version >= 110000 ? "p.prokind IN ('f', 'p')"
                                                          : "NOT p.proisagg AND NOT p.proiswindow";
    return R"SQL(
SELECT 'function', pg_catalog.quote_ident(n.nspname) || '.' ||
       pg_catalog.quote_ident(p.proname) || '(' ||
       pg_catalog.pg_get_function_identity_arguments(p.oid) || ')',
       pg_catalog.pg_get_functiondef(p.oid) || ' owner ' ||
       pg_catalog.pg_get_userbyid(p.proowner) || ' acl ' || COALESCE(p.proacl::text, '-') ||
       ' comment ' || COALESCE(pg_catalog.obj_description(p.oid, 'pg_proc'), '-')
  FROM pg_catalog.pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
 WHERE )SQL" +
           plain_function + R"SQL(
   AND NOT EXISTS (SELECT 1 FROM ext_member e
                    WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass
                      AND e.objid = p.oid))SQL";
}

constexpr const char* kTriggerRows = R"SQL(
SELECT 'trigger', r.ident || ' ' || pg_catalog.quote_ident(t.tgname),
       pg_catalog.pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
  FROM pg_catalog.pg_trigger t JOIN rel r ON r.oid = t.tgrelid
 WHERE NOT t.tgisinternal)SQL";

constexpr const char* kPolicyRows = R"SQL(
SELECT 'policy', pg_catalog.quote_ident(pol.schemaname) || '.' ||
       pg_catalog.quote_ident(pol.tablename) || ' ' || pg_catalog.quote_ident(pol.policyname),
       pol.permissive || ' ' || pol.cmd || ' ' || pol.roles::text || ' using ' ||
       COALESCE(pol.qual, '-') || ' check ' || COALESCE(pol.with_check, '-')
  FROM pg_catalog.pg_policies pol)SQL";

constexpr const char* kRuleRows = R"SQL(
SELECT 'rule', pg_catalog.quote_ident(ru.schemaname) || '.' ||
       pg_catalog.quote_ident(ru.tablename) || ' ' || pg_catalog.quote_ident(ru.rulename),
       ru.definition
  FROM pg_catalog.pg_rules ru
 WHERE ru.schemaname NOT IN ('pg_catalog', 'information_schema'))SQL";

constexpr const char* kTypeRows = R"SQL(
SELECT 'type', pg_catalog.format_type(t.oid, NULL),
       'kind ' || t.typtype::text || ' owner ' || pg_catalog.pg_get_userbyid(t.typowner) ||
       COALESCE(' base ' || pg_catalog.format_type(NULLIF(t.typbasetype, 0), NULL), '') ||
       COALESCE(' labels ' || (SELECT pg_catalog.string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                                 FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid), '') ||
       ' acl ' || COALESCE(t.typacl::text, '-') || ' comment ' ||
       COALESCE(pg_catalog.obj_description(t.oid, 'pg_type'), '-')
  FROM pg_catalog.pg_type t JOIN user_ns n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r', 'c')
   AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                                      WHERE c.oid = t.typrelid AND c.relkind = 'c'))
   AND NOT EXISTS (SELECT 1 FROM ext_member e
                    WHERE e.classid = 'pg_catalog.pg_type'::pg_catalog.regclass
                      AND e.objid = t.oid))SQL";

constexpr const char* kExtensionRows = R"SQL(
SELECT 'extension', pg_catalog.quote_ident(x.extname),
       'version ' || x.extversion || ' schema ' || x.extnamespace::pg_catalog.regnamespace::text
  FROM pg_catalog.pg_extension x)SQL";

constexpr const char* kDefaultPrivilegeRows = R"SQL(
SELECT 'default privileges', COALESCE(pg_catalog.pg_get_userbyid(da.defaclrole), '-') || ' ' ||
       COALESCE(da.defaclnamespace::pg_catalog.regnamespace::text, '-') || ' ' || da.defaclobjtype::text,
       da.defaclacl::text
  FROM pg_catalog.pg_default_acl da)SQL";

}  // namespace

std::string schema_catalog(int server_version) {
    std::vector<std::string> kinds = {kSchemaRows,     kRelationRows, kColumnRows,
                                      kConstraintRows, kIndexRows,    kViewRows};
    if (server_version >= 100000) kinds.push_back(kSequenceRows);
    kinds.push_back(function_rows(server_version));
    kinds.insert(kinds.end(), {kTriggerRows, kPolicyRows, kRuleRows, kTypeRows, kExtensionRows,
                               kDefaultPrivilegeRows});
    // One (kind, object, definition) row set per kind, read under the same scope.
    std::string sql = kCatalogScope;
    for (size_t i = 0; i < kinds.size(); ++i) sql += (i == 0 ? "" : "\nUNION ALL") + kinds[i];
    return sql + "\n ORDER BY 1, 2";
}

}  // namespace pgmigrate::verify::sql
