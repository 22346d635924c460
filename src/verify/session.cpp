#include "pgmigrate/verify/session.hpp"

#include <cstdlib>
#include <string>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/verify/catalog.hpp"

namespace pgmigrate::verify {

const std::vector<std::pair<std::string, std::string>>& pinned_settings() {
    // pg_dump sets DateStyle, IntervalStyle and extra_float_digits itself; pinning them
    // everywhere costs nothing and keeps the verification sessions identical to it.
    static const std::vector<std::pair<std::string, std::string>> settings = {
        {"DateStyle", "ISO"},
        {"IntervalStyle", "postgres"},
        {"TimeZone", "UTC"},
        {"extra_float_digits", "3"},
        {"bytea_output", "hex"},
        {"lc_monetary", "C"},
        {"standard_conforming_strings", "on"},
    };
    return settings;
}

std::string pinned_pgoptions() {
    std::string out;
    for (const auto& [name, value] : pinned_settings()) {
        if (!out.empty()) out += ' ';
        out += "-c " + name + "=" + value;
    }
    return out;
}

std::pair<std::string, std::string> pinned_pgoptions_environment() {
    std::string value = pinned_pgoptions();
    if (const char* existing = std::getenv("PGOPTIONS"); existing && *existing)
        value = std::string(existing) + " " + value;
    return {"PGOPTIONS", value};
}

void pin_session_settings(pg::Connection& conn) {
    // One round trip: SELECT set_config($1, $2, false), set_config($3, $4, false), ...
    static const std::string statement = [] {
        std::string sql = "SELECT ";
        for (size_t i = 0; i < pinned_settings().size(); ++i)
            sql += (i ? ", " : "") + sql::set_session_setting(static_cast<int>(2 * i + 1));
        return sql + ", " + sql::kClientEncodingFromServer;
    }();
    std::vector<std::string> params;
    for (const auto& [name, value] : pinned_settings()) {
        params.push_back(name);
        params.push_back(value);
    }
    conn.query(statement, params);
}

void unpin_session_settings(pg::Connection& conn) {
    std::string sql;
    for (const auto& [name, value] : pinned_settings()) sql += "RESET " + name + "; ";
    conn.execute(sql + "RESET client_encoding");
}

PinnedSession::PinnedSession(pg::Connection& conn) : conn_(conn) {
    pin_session_settings(conn_);
}

PinnedSession::~PinnedSession() {
    try {
        if (conn_.healthy()) unpin_session_settings(conn_);
    } catch (...) {  // an aborted transaction or a cancelled run: nothing to put back then
    }
}

}  // namespace pgmigrate::verify
