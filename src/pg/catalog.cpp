#include "pgmigrate/pg/catalog.hpp"

namespace pgmigrate::pg::sql {

std::string server_connection_limits(int server_major) {
    std::string reserved = "current_setting('superuser_reserved_connections')::int";
    if (server_major >= 16) reserved += " + current_setting('reserved_connections')::int";
    // backend_type exists from 10 on; before, every row of pg_stat_activity is a client.
    std::string clients = server_major >= 10 ? " AND backend_type = 'client backend'" : "";
    return "SELECT current_setting('max_connections')::int, " + reserved +
           ", (SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()" + clients +
           ")";
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

}  // namespace pgmigrate::pg::sql
