#include "pgmigrate/pg/catalog.hpp"

namespace pgmigrate::pg::sql {

std::string server_connection_limits(int server_major) {
    std::string reserved = "current_setting('superuser_reserved_connections')::int";
    if (server_major >= 16) reserved += " + current_setting('reserved_connections')::int";
    // backend_type exists from 10 on; before, every row of pg_stat_activity is a client.
    std::string clients = server_major >= 10 ? " AND backend_type = 'client backend'" : "";
    return "SELECT current_setting('max_connections')::int, " + reserved +
           ", (SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()" + clients + ")";
}

std::string database_properties(int server_major) {
    // datlocprovider/daticulocale arrived in 15; daticulocale became datlocale in 17.
    std::string provider = server_major >= 15 ? "d.datlocprovider::text" : "'c'::text";
    std::string locale = server_major >= 17   ? "d.datlocale"
                         : server_major >= 15 ? "d.daticulocale"
                                              : "NULL::text";
    return R"SQL(
SELECT pg_get_userbyid(d.datdba), pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
       d.datconnlimit, shobj_description(d.oid, 'pg_database'), )SQL" +
           provider + ", " + locale + R"SQL(
  FROM pg_database d
 WHERE d.datname = $1)SQL";
}

std::string plan_roles(int server_version, bool with_passwords) {
    std::string bypass = server_version >= 90500
                             ? "CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' ELSE 'NOBYPASSRLS' END"
                             : "'NOBYPASSRLS'";
    std::string password = with_passwords ? R"SQL(CASE WHEN r.rolpassword IS NULL THEN NULL
            WHEN r.rolpassword LIKE 'md5%' THEN 'md5'
            WHEN r.rolpassword LIKE 'SCRAM-SHA-256$%' THEN 'scram-sha-256'
            ELSE 'other' END)SQL"
                                          : "NULL::text";
    return R"SQL(
SELECT r.rolname,
       concat_ws(' ',
         CASE WHEN r.rolsuper THEN 'SUPERUSER' ELSE 'NOSUPERUSER' END,
         CASE WHEN r.rolinherit THEN 'INHERIT' ELSE 'NOINHERIT' END,
         CASE WHEN r.rolcreaterole THEN 'CREATEROLE' ELSE 'NOCREATEROLE' END,
         CASE WHEN r.rolcreatedb THEN 'CREATEDB' ELSE 'NOCREATEDB' END,
         CASE WHEN r.rolcanlogin THEN 'LOGIN' ELSE 'NOLOGIN' END,
         CASE WHEN r.rolreplication THEN 'REPLICATION' ELSE 'NOREPLICATION' END,
         )SQL" +
           bypass +
           R"SQL(,
         'CONNECTION LIMIT ' || r.rolconnlimit,
         'VALID UNTIL ' || r.rolvaliduntil::text),
       )SQL" +
           password +
           R"SQL(,
       r.oid >= 16384
  FROM )SQL" +
           (with_passwords ? "pg_authid" : "pg_roles") +
           R"SQL( r
 ORDER BY 1)SQL";
}

std::string plan_database_facts(int server_version) {
    const char* user_ns = R"SQL(n.nspname NOT IN ('pg_catalog', 'information_schema')
         AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%')SQL";
    std::string oids = server_version >= 120000
                           ? std::string("NULL::text")
                           : std::string(R"SQL((SELECT string_agg(quote_ident(n.nspname) || '.' ||
                            quote_ident(c.relname), ', ')
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND c.relhasoids AND )SQL") +
                                 user_ns + ")";
    std::string postfix = server_version >= 140000
                              ? std::string("NULL::text")
                              : std::string(R"SQL((SELECT string_agg(o.oid::regoperator::text, ', ')
          FROM pg_operator o WHERE o.oprright = 0 AND o.oid >= 16384))SQL");
    std::string extensions =
        server_version >= 90100
            ? "(SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) "
              "FROM pg_extension)"
            : "NULL::text";
    return std::string(R"SQL(
SELECT (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p') AND )SQL") +
           user_ns + R"SQL(
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                              AND d.objid = c.oid AND d.deptype = 'e')),
       (SELECT count(*) FROM pg_largeobject_metadata),
       )SQL" +
           extensions + ",\n       " + oids + R"SQL(,
       (SELECT string_agg(quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' ||
                          quote_ident(a.attname) || ' ' || t.typname, ', ')
          FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_type t ON t.oid = a.atttypid
          JOIN pg_namespace tn ON tn.oid = t.typnamespace
         WHERE tn.nspname = 'pg_catalog'
           AND t.typname IN ('abstime', 'reltime', 'tinterval',
                             '_abstime', '_reltime', '_tinterval')
           AND a.attnum > 0 AND NOT a.attisdropped AND )SQL" +
           user_ns + R"SQL(),
       )SQL" +
           postfix + R"SQL(,
       (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE )SQL" +
           user_ns + R"SQL(
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                              AND d.objid = p.oid AND d.deptype = 'e')))SQL";
}

}  // namespace pgmigrate::pg::sql
