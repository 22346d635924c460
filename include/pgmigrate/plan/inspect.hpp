#pragma once
// What `pg-migrate plan` reads from the two servers, read-only: a few catalog queries on each
// server's maintenance database, then one connection and one query (two with
// --delay-table-data patterns for it) per source database, a bounded number at a time.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/budget.hpp"
#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/pipeline/table.hpp"

namespace pgmigrate::plan {

struct RoleFacts {
    std::string attributes;               // canonical text, comparable across servers
    std::optional<std::string> password;  // md5, scram-sha-256, other; nullopt: none/unknown
    bool user_created = false;            // not a built-in role
};

struct ServerFacts {
    int version_number = 0;  // PQserverVersion
    int major = 0;
    std::string version;  // "15.18"
    bool superuser = false;
    pipeline::ServerLimits limits;
    std::map<std::string, RoleFacts> roles;
    std::vector<std::string> database_names;
    std::vector<std::string> available_extensions;  // target only
    std::string password_encryption;                // target only
};

struct DatabaseFacts {
    long long tables = 0;
    long long large_objects = 0;
    std::vector<std::string> extensions;  // "name version"
    std::vector<std::string> tables_with_oids;
    std::vector<std::string> removed_type_columns;  // "schema.table.column type"
    std::vector<std::string> postfix_operators;
    long long functions = 0;
    std::vector<pipeline::TableKey> user_tables;  // only when a delay pattern names the database
    std::optional<std::string> error;             // could not be inspected (and why)
};

ServerFacts inspect_server(pg::Connection& conn, pg::Side side);

// Facts of every database in dbs that is migrated, keyed by name; at most `parallel`
// connections at a time.
std::map<std::string, DatabaseFacts> inspect_databases(
    const pg::Endpoint& source, int server_version,
    const std::vector<pipeline::SourceDatabase>& dbs,
    const std::vector<std::string>& list_tables_of, int parallel);

}  // namespace pgmigrate::plan
