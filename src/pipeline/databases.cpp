#include "pgmigrate/pipeline/databases.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "pgmigrate/pg/catalog.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace {

// Settings whose value is a list; pg_db_role_setting keeps them as one comma-separated text
// with double-quoted elements, and each element must become its own literal.
bool is_list_setting(const std::string& name) {
    std::string n = util::to_lower(name);
    return n == "search_path" || n == "temp_tablespaces" || n == "session_preload_libraries" ||
           n == "shared_preload_libraries" || n == "local_preload_libraries" ||
           n == "unix_socket_directories";
}

}  // namespace

const char* placement_name(Placement placement) {
    return placement == Placement::existing ? "existing" : "create";
}

std::vector<SourceDatabase> decide_databases(std::vector<DatabaseRow> rows,
                                             const DatabaseFilter& filter) {
    std::stable_sort(rows.begin(), rows.end(), [](const DatabaseRow& a, const DatabaseRow& b) {
        return a.size_bytes != b.size_bytes ? a.size_bytes < b.size_bytes : a.name < b.name;
    });
    std::vector<SourceDatabase> out;
    for (const auto& row : rows) {
        SourceDatabase db{row.name, row.oid, row.size_bytes};
        bool carried_into_existing = row.name == "postgres" || row.name == "template1";
        std::string reason;  // empty: migrated
        if (row.name == "template0")
            reason = "template0 never changes; the target has its own";
        else if (row.is_template && row.name != "template1")
            reason = "a template database (datistemplate); create it on the target by hand";
        else if (!row.allow_connections)
            reason = "datallowconn is false (nobody can connect to dump it)";
        else
            reason = filter.rejection(row.name).value_or("");
        if (!reason.empty()) db.skip_reason = std::move(reason);
        if (carried_into_existing) db.placement = Placement::existing;
        out.push_back(std::move(db));
    }
    return out;
}

std::vector<SourceDatabase> discover_databases(pg::Connection& source,
                                               const DatabaseFilter& filter) {
    auto res = source.query(pg::sql::kDiscoverDatabases);
    std::vector<DatabaseRow> rows;
    for (int i = 0; i < res.rows(); ++i)
        rows.push_back({res.get(i, 0),
                        res.is_null(i, 1) ? 0 : static_cast<std::uint64_t>(res.get_int(i, 1)),
                        res.get(i, 2) == "t", res.get(i, 3) == "t", res.get(i, 4)});
    return decide_databases(std::move(rows), filter);
}

std::vector<SourceDatabase> discover_databases(Context& ctx) {
    auto conn = ctx.source(ctx.options.from.dbname);
    return discover_databases(
        *conn, DatabaseFilter(ctx.options.include_databases, ctx.options.exclude_databases));
}

DatabaseDefinition read_definition(pg::Connection& source, const std::string& db) {
    DatabaseDefinition def;
    def.name = db;
    auto props = source.query(pg::sql::database_properties(source.server_major()), {db});
    if (props.rows() != 1)
        throw Error(ExitCode::source, fmt::format("database \"{}\" disappeared from the {}", db,
                                                  source.endpoint().describe()));
    def.owner = props.get(0, 0);
    def.encoding = props.get(0, 1);
    def.collate = props.get(0, 2);
    def.ctype = props.get(0, 3);
    def.connection_limit = static_cast<int>(props.get_int(0, 4));
    def.comment = props.get_optional(0, 5);
    def.provider = props.get(0, 6);
    def.provider_locale = props.get_optional(0, 7);

    def.default_acl = source.query(pg::sql::kDatabaseAclIsDefault, {db}).get(0, 0) == "t";
    auto acl = source.query(pg::sql::kDatabaseAcl, {db});
    for (int i = 0; i < acl.rows(); ++i)
        def.grants.push_back({acl.get_optional(i, 0), acl.get(i, 1), acl.get(i, 2) == "t"});

    auto settings = source.query(pg::sql::kDatabaseSettings, {db});
    for (int i = 0; i < settings.rows(); ++i) {
        std::string cfg = settings.get(i, 1);
        auto eq = cfg.find('=');
        if (eq == std::string::npos) continue;
        def.settings.push_back(
            {settings.get_optional(i, 0), cfg.substr(0, eq), cfg.substr(eq + 1)});
    }
    return def;
}

std::string setting_value_sql(const std::string& name, const std::string& value) {
    if (!is_list_setting(name)) return pg::quote_literal(value);
    std::vector<std::string> items;
    std::string current;
    bool quoted = false;
    for (size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '"') {
            if (quoted && i + 1 < value.size() && value[i + 1] == '"') {
                current += '"';
                ++i;
            } else {
                quoted = !quoted;
            }
        } else if (c == ',' && !quoted) {
            items.push_back(util::trim(current));
            current.clear();
        } else {
            current += c;
        }
    }
    items.push_back(quoted ? current : util::trim(current));
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) out += ", ";
        out += pg::quote_literal(item);
    }
    return out;
}

std::string create_database_sql(const DatabaseDefinition& def, int target_major,
                                bool owner_exists) {
    std::string sql =
        fmt::format("CREATE DATABASE {} WITH TEMPLATE = template0", pg::quote_ident(def.name));
    if (owner_exists) sql += " OWNER = " + pg::quote_ident(def.owner);
    sql += " ENCODING = " + pg::quote_literal(def.encoding);
    if (target_major >= 15 && def.provider == "i") {
        sql += " LOCALE_PROVIDER = icu";
        if (def.provider_locale) sql += " ICU_LOCALE = " + pg::quote_literal(*def.provider_locale);
    } else if (target_major >= 17 && def.provider == "b") {
        sql += " LOCALE_PROVIDER = builtin";
        if (def.provider_locale)
            sql += " BUILTIN_LOCALE = " + pg::quote_literal(*def.provider_locale);
    } else if (def.provider != "c") {
        throw Error(ExitCode::target,
                    fmt::format("database \"{}\" uses locale provider '{}', which a PostgreSQL {} "
                                "target does not support",
                                def.name, def.provider, target_major));
    }
    sql += " LC_COLLATE = " + pg::quote_literal(def.collate);
    sql += " LC_CTYPE = " + pg::quote_literal(def.ctype);
    if (def.connection_limit != -1)
        sql += fmt::format(" CONNECTION LIMIT = {}", def.connection_limit);
    return sql;
}

std::vector<std::string> database_property_sql(const DatabaseDefinition& def, bool owner_exists) {
    std::vector<std::string> out;
    std::string db = pg::quote_ident(def.name);
    if (def.comment)
        out.push_back(
            fmt::format("COMMENT ON DATABASE {} IS {}", db, pg::quote_literal(*def.comment)));
    if (!def.default_acl) {
        out.push_back(fmt::format("REVOKE ALL ON DATABASE {} FROM PUBLIC", db));
        if (owner_exists)
            out.push_back(
                fmt::format("REVOKE ALL ON DATABASE {} FROM {}", db, pg::quote_ident(def.owner)));
        for (const auto& g : def.grants) {
            out.push_back(fmt::format("GRANT {} ON DATABASE {} TO {}{}", g.privilege, db,
                                      g.grantee ? pg::quote_ident(*g.grantee) : "PUBLIC",
                                      g.grantable ? " WITH GRANT OPTION" : ""));
        }
    }
    for (const auto& s : def.settings) {
        std::string value = setting_value_sql(s.name, s.value);
        if (s.role)
            out.push_back(fmt::format("ALTER ROLE {} IN DATABASE {} SET {} TO {}",
                                      pg::quote_ident(*s.role), db, pg::quote_ident(s.name),
                                      value));
        else
            out.push_back(
                fmt::format("ALTER DATABASE {} SET {} TO {}", db, pg::quote_ident(s.name), value));
    }
    return out;
}

const char* const kTemporaryPrefix = "pgmigrate_new_";

nlohmann::json definition_to_json(const DatabaseDefinition& d) {
    auto opt = [](const std::optional<std::string>& v) {
        return v ? nlohmann::json(*v) : nlohmann::json();
    };
    nlohmann::json grants = nlohmann::json::array(), settings = nlohmann::json::array();
    for (const auto& g : d.grants)
        grants.push_back(
            {{"grantee", opt(g.grantee)}, {"privilege", g.privilege}, {"grantable", g.grantable}});
    for (const auto& st : d.settings)
        settings.push_back({{"role", opt(st.role)}, {"name", st.name}, {"value", st.value}});
    return {{"name", d.name},
            {"owner", d.owner},
            {"encoding", d.encoding},
            {"collate", d.collate},
            {"ctype", d.ctype},
            {"provider", d.provider},
            {"provider_locale", opt(d.provider_locale)},
            {"connection_limit", d.connection_limit},
            {"comment", opt(d.comment)},
            {"default_acl", d.default_acl},
            {"grants", grants},
            {"settings", settings}};
}

DatabaseDefinition definition_from_json(const nlohmann::json& j) {
    auto opt = [](const nlohmann::json& v) {
        return v.is_null() ? std::nullopt : std::optional<std::string>(v.get<std::string>());
    };
    DatabaseDefinition d;
    d.name = j.at("name").get<std::string>();
    d.owner = j.at("owner").get<std::string>();
    d.encoding = j.at("encoding").get<std::string>();
    d.collate = j.at("collate").get<std::string>();
    d.ctype = j.at("ctype").get<std::string>();
    d.provider = j.at("provider").get<std::string>();
    d.provider_locale = opt(j.at("provider_locale"));
    d.connection_limit = j.at("connection_limit").get<int>();
    d.comment = opt(j.at("comment"));
    d.default_acl = j.at("default_acl").get<bool>();
    for (const auto& g : j.at("grants"))
        d.grants.push_back({opt(g.at("grantee")), g.at("privilege").get<std::string>(),
                            g.at("grantable").get<bool>()});
    for (const auto& st : j.at("settings"))
        d.settings.push_back({opt(st.at("role")), st.at("name").get<std::string>(),
                              st.at("value").get<std::string>()});
    return d;
}

void drop_database_by_oid(Context& ctx, pg::Connection& conn, const std::string& oid) {
    auto res = conn.query(pg::sql::kDatabaseNameByOid, {oid});
    if (res.rows() == 0) return;
    std::string name = res.get(0, 0);
    spdlog::info("dropping target database \"{}\" (OID {}, created by pg-migrate)", name, oid);
    ctx.pool.clear();  // our own idle connections to it would block DROP DATABASE
    std::string drop = fmt::format("DROP DATABASE IF EXISTS {}", pg::quote_ident(name));
    if (conn.server_major() >= 13) drop += " WITH (FORCE)";
    conn.execute(drop, pg::kLongQueryTimeout);
}

void drop_recorded_database(Context& ctx, const nlohmann::json& created_marker) {
    const auto& d = created_marker.at("details");
    if (d.value("existing", false)) return;  // the target's own postgres/template1: never dropped
    std::string oid = d.value("oid", "");
    std::string name = d.value("name", "");
    auto conn = ctx.target(ctx.options.to.dbname);
    if (oid.empty() && name.rfind(kTemporaryPrefix, 0) == 0) {
        if (auto r = conn->query(pg::sql::kDatabaseOid, {name}); r.rows() > 0) oid = r.get(0, 0);
    }
    if (!oid.empty()) drop_database_by_oid(ctx, *conn, oid);
}

namespace {

std::optional<std::string> target_database_oid(pg::Connection& conn, const std::string& db) {
    auto res = conn.query(pg::sql::kDatabaseOid, {db});
    if (res.rows() == 0) return std::nullopt;
    return res.get(0, 0);
}

}  // namespace

void prepare_target_database(Context& ctx, const std::string& db,
                             const DatabaseDefinition& source_def, const StepInputs& inputs) {
    if (auto created = ctx.state.read_marker(db, Step::created)) {
        // Ours but not restored: an interrupted restore, or a redone dump. Start clean.
        spdlog::info("[{}] dropping the unfinished target database to create and restore it again",
                     db);
        drop_recorded_database(ctx, *created);
        ctx.state.clear_marker(db, Step::created);
    }
    auto conn = ctx.target(ctx.options.to.dbname);
    auto refuse = [&] {
        return Error(ExitCode::target,
                     fmt::format("database \"{}\" already exists on the {} and was not created by "
                                 "pg-migrate; drop it there or choose another target (nothing was "
                                 "changed)",
                                 db, ctx.options.to.describe()));
    };
    if (target_database_oid(*conn, db)) throw refuse();

    bool owner_exists = conn->query(pg::sql::kRoleExists, {source_def.owner}).rows() > 0;
    if (!owner_exists)
        spdlog::warn(
            "[{}] owner role {} does not exist on the target (globals not migrated?); "
            "the database will be owned by {}",
            db, source_def.owner, ctx.options.to.user);
    spdlog::info("[{}] creating database on the target", db);
    DatabaseDefinition def = source_def;
    def.name = db;
    DatabaseDefinition temp = def;
    temp.name = kTemporaryPrefix + new_execution_id();
    // The temporary name is recorded before CREATE: it is unique to this run, so a database
    // of that name found later is certainly ours, even if we were killed before its OID was.
    auto marker = make_marker(db, Step::created, inputs, {}, {{"name", temp.name}, {"oid", ""}});
    ctx.state.write_marker(db, Step::created, marker);
    conn->execute(create_database_sql(temp, conn->server_major(), owner_exists),
                  pg::kLongQueryTimeout);
    auto oid = target_database_oid(*conn, temp.name);
    if (!oid) throw Error(ExitCode::target, "database " + temp.name + " vanished after CREATE");
    marker["details"]["oid"] = *oid;
    ctx.state.write_marker(db, Step::created, marker);
    try {
        conn->execute(fmt::format("ALTER DATABASE {} RENAME TO {}", pg::quote_ident(temp.name),
                                  pg::quote_ident(db)));
    } catch (const pg::PgError& e) {
        if (e.sqlstate() != "42P04") throw;  // duplicate_database: someone made it meanwhile
        drop_database_by_oid(ctx, *conn, *oid);
        ctx.state.clear_marker(db, Step::created);
        throw refuse();
    }
    marker["details"]["name"] = db;
    ctx.state.write_marker(db, Step::created, marker);
    for (const auto& stmt : database_property_sql(def, owner_exists)) {
        try {
            conn->execute(stmt);
        } catch (const pg::PgError& e) {
            spdlog::warn("[{}] database property not applied: {}", db, e.what());
        }
    }
}

}  // namespace pgmigrate::pipeline
