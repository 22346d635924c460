#pragma once
// A source server filled with the awkward cases a real server has: roles, a database with an
// awkward name, one owned by a non-superuser, one with non-default encoding, comment, grants,
// settings and a connection limit. Shared by the integration tests.
#include <string>
#include <vector>

#include "pg_server.hpp"

namespace pgtest {

inline const std::string kAwkwardDb = "My \"Odd\" DB é";

// The databases fill_source creates.
std::vector<std::string> scenario_databases();
// Roles and databases with data (rows_per_table rows in each big-ish table).
void fill_source(PgServer& source, int rows_per_table = 2000);
// count(*) of every user table of db, "schema.table=N" lines.
std::string table_counts(const PgServer& server, const std::string& db);
// "name: CREATE INDEX ..." of every user index of db, sorted.
std::string table_indexes(const PgServer& server, const std::string& db);
// The values of the settings pg-migrate changes plus postgresql.auto.conf's content for them.
std::string target_settings(const PgServer& server);

}  // namespace pgtest
