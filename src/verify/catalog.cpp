#include "pgmigrate/verify/catalog.hpp"

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
         ELSE 'text' END
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)SQL" +
           not_generated + R"SQL(
  LEFT JOIN pg_type t ON t.oid = a.atttypid
 WHERE c.relkind = 'r'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep
                    WHERE dep.classid = 'pg_class'::regclass AND dep.objid = c.oid
                      AND dep.deptype = 'e')
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

}  // namespace pgmigrate::verify::sql
