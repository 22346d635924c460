#include "pgmigrate/pg/catalog.hpp"

namespace pgmigrate::pg::sql {

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
