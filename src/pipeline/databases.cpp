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
        SourceDatabase db;
        db.name = row.name;
        db.size_bytes = row.size_bytes;
        bool carried_into_existing = row.name == "postgres" || row.name == "template1";
        if (row.name == "template0")
            db.skip_reason = "template0 never changes; the target has its own";
        else if (row.is_template && row.name != "template1")
            db.skip_reason = "a template database (datistemplate); create it on the target by hand";
        else if (!row.allow_connections)
            db.skip_reason = "datallowconn is false (nobody can connect to dump it)";
        else if (auto why = filter.rejection(row.name))
            db.skip_reason = *why;
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
                        res.get(i, 2) == "t", res.get(i, 3) == "t"});
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

namespace {

bool target_database_exists(Context& ctx, const std::string& db) {
    auto conn = ctx.target(ctx.options.to.dbname);
    return conn->query(pg::sql::kDatabaseExists, {db}).rows() > 0;
}

void create_from_source(Context& ctx, const std::string& db) {
    DatabaseDefinition def = [&] {
        auto src = ctx.source(ctx.options.from.dbname);
        return read_definition(*src, db);
    }();
    auto conn = ctx.target(ctx.options.to.dbname);
    bool owner_exists = conn->query(pg::sql::kRoleExists, {def.owner}).rows() > 0;
    if (!owner_exists)
        spdlog::warn(
            "[{}] owner role {} does not exist on the target (globals not migrated?); "
            "the database will be owned by {}",
            db, def.owner, ctx.options.to.user);
    // The marker goes first: a crash right after CREATE DATABASE must not leave a database that
    // the next run would take for someone else's and refuse to touch.
    ctx.state.mark(db, Marker::created);
    conn->execute(create_database_sql(def, conn->server_major(), owner_exists));
    for (const auto& stmt : database_property_sql(def, owner_exists)) {
        try {
            conn->execute(stmt);
        } catch (const pg::PgError& e) {
            spdlog::warn("[{}] database property not applied: {}", db, e.what());
        }
    }
}

}  // namespace

void prepare_target_database(Context& ctx, const std::string& db) {
    if (!target_database_exists(ctx, db)) {
        spdlog::info("[{}] creating database on the target", db);
        create_from_source(ctx, db);
        return;
    }
    if (!ctx.state.has(db, Marker::created))
        throw Error(ExitCode::target,
                    fmt::format("database \"{}\" already exists on the {} and was not created by "
                                "pg-migrate (no {}.created marker in {}); drop it there or choose "
                                "another target, nothing was changed",
                                db, ctx.options.to.describe(), util::encode_file_name(db),
                                ctx.state.migrate_dir().string()));
    // Ours but not restored: an interrupted restore, or a run that stopped between CREATE
    // DATABASE and its properties. Start from a clean copy of the source's definition.
    spdlog::info("[{}] dropping the unfinished target database to create and restore it again", db);
    auto conn = ctx.target(ctx.options.to.dbname);
    ctx.pool.clear();  // our own idle connections to it would block DROP DATABASE
    std::string drop = fmt::format("DROP DATABASE IF EXISTS {}", pg::quote_ident(db));
    if (conn->server_major() >= 13) drop += " WITH (FORCE)";
    conn->execute(drop);
    create_from_source(ctx, db);
}

}  // namespace pgmigrate::pipeline
