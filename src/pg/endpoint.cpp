#include "pgmigrate/pg/endpoint.hpp"

#include <fmt/format.h>

#include "pgmigrate/pg/quote.hpp"

namespace pgmigrate::pg {

const char* side_name(Side side) {
    return side == Side::source ? "source" : "target";
}

std::string Endpoint::describe() const {
    return fmt::format("{} server {}:{}", side_name(side), host, port);
}

std::string Endpoint::describe(const std::string& database) const {
    return fmt::format("{} server {}:{}, database \"{}\", user {}", side_name(side), host, port,
                       database, user);
}

std::vector<std::pair<std::string, std::string>> Endpoint::libpq_params(
    const std::string& database) const {
    std::vector<std::pair<std::string, std::string>> params = {
        {"host", host},
        {"port", std::to_string(port)},
        {"user", user},
        {"dbname", database},
        {"connect_timeout", std::to_string(connect_timeout_seconds)},
        {"application_name", "pg-migrate"},
        // Names arrive as UTF-8 whatever the server's or the locale's encoding.
        {"client_encoding", "UTF8"},
    };
    if (password) params.emplace_back("password", *password);
    for (const auto& [key, value] : options) params.emplace_back(key, value);
    return params;
}

std::string Endpoint::child_conninfo(const std::string& database) const {
    std::string out =
        fmt::format("host={} port={} user={} dbname={} connect_timeout={}", conninfo_value(host),
                    port, conninfo_value(user), conninfo_value(database), connect_timeout_seconds);
    for (const auto& [key, value] : options)
        out += fmt::format(" {}={}", key, conninfo_value(value));
    return out;
}

std::vector<std::pair<std::string, std::string>> Endpoint::child_environment() const {
    std::vector<std::pair<std::string, std::string>> env;
    if (password) env.emplace_back("PGPASSWORD", *password);
    return env;
}

ConnectParams::ConnectParams(const Endpoint& endpoint, const std::string& database)
    : params_(endpoint.libpq_params(database)) {
    for (const auto& [k, v] : params_) {
        keys_.push_back(k.c_str());
        values_.push_back(v.c_str());
    }
    keys_.push_back(nullptr);
    values_.push_back(nullptr);
}

}  // namespace pgmigrate::pg
