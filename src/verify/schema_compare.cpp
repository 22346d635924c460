#include "pgmigrate/verify/schema_compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/pg/endpoint.hpp"
#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/text.hpp"
#include "pgmigrate/verify/catalog.hpp"
#include "pgmigrate/verify/session.hpp"

namespace pgmigrate::verify {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// Lines that describe the session or the dump, not an object.
bool is_noise(std::string_view line) {
    return line.empty() || starts_with(line, "--") || starts_with(line, "SET ") ||
           starts_with(line, "SELECT pg_catalog.set_config(") || starts_with(line, "\\restrict") ||
           starts_with(line, "\\unrestrict");
}

std::string rtrim(std::string_view line) {
    size_t end = line.find_last_not_of(" \t\r");
    return end == std::string_view::npos ? std::string() : std::string(line.substr(0, end + 1));
}

// The first line where a and b differ, for the message.
std::string first_difference(const std::string& a, const std::string& b) {
    auto la = util::split_lines(a), lb = util::split_lines(b);
    for (size_t i = 0; i < std::max(la.size(), lb.size()); ++i) {
        std::string x = i < la.size() ? la[i] : "(nothing)";
        std::string y = i < lb.size() ? lb[i] : "(nothing)";
        if (x != y) return fmt::format("source: {} / target: {}", util::trim(x), util::trim(y));
    }
    return "";
}

// The same lines in another order; a column list's commas move with the order, so they do not
// count.
bool same_lines_other_order(const std::string& a, const std::string& b) {
    auto la = util::split_lines(a), lb = util::split_lines(b);
    for (auto* lines : {&la, &lb})
        for (auto& line : *lines)
            if (!line.empty() && line.back() == ',') line.pop_back();
    std::sort(la.begin(), la.end());
    std::sort(lb.begin(), lb.end());
    return la == lb;
}

// A range type's body without the multirange type's name PostgreSQL 14 added (and without the
// comma it puts on the line before).
std::string without_multirange_name(const std::string& body) {
    std::string out;
    for (auto line : util::split_lines(body)) {
        if (line.find("multirange_type_name = ") != std::string::npos) continue;
        if (!line.empty() && line.back() == ',') line.pop_back();
        out += line + "\n";
    }
    return out;
}

// Differences every dump/restore between these majors makes (README "Verification").
std::optional<std::string> inherent_difference(const std::string& header, const std::string& src,
                                               const std::string& dst, int source_major,
                                               int target_major) {
    // PostgreSQL 15 made the public schema owned by pg_database_owner with USAGE only for
    // PUBLIC; a restore into another side of that line keeps the target's own public schema.
    bool public_schema = header.rfind("Name: public; Type: SCHEMA", 0) == 0 ||
                         header.rfind("Name: SCHEMA public; Type: ", 0) == 0;
    if (public_schema && (source_major < 15) != (target_major < 15))
        return fmt::format("{}: the public schema's definition changed in PostgreSQL 15", header);
    // PostgreSQL 14 gives every range type a multirange type, named in the range's dump.
    bool range_type = header.find("; Type: TYPE;") != std::string::npos &&
                      src.find("AS RANGE") != std::string::npos;
    if (range_type && source_major < 14 && target_major >= 14 &&
        without_multirange_name(src) == without_multirange_name(dst))
        return fmt::format("{}: a range type has a multirange type from PostgreSQL 14 on", header);
    // An inheritance child gets its parents' columns first when re-created from a dump.
    if (src.find("INHERITS (") != std::string::npos && same_lines_other_order(src, dst))
        return fmt::format(
            "{}: column order of an inheritance child (restore puts inherited "
            "columns first)",
            header);
    return std::nullopt;
}

std::string run_tool(const fs::path& program, std::vector<std::string> args,
                     const ChildEnvironment& environment, const std::string& label, ExitCode code) {
    process::Command cmd;
    cmd.program = program.string();
    cmd.args = std::move(args);
    cmd.environment = environment;
    cmd.environment.push_back(pinned_pgoptions_environment());
    cmd.label = label;
    return process::run_checked(
               cmd, [](const std::string&) {}, code)
        .stdout_text;
}

std::map<std::string, std::string> query_pairs(pg::Connection& conn, const std::string& sql) {
    std::map<std::string, std::string> out;
    auto res = conn.query(sql);
    for (int i = 0; i < res.rows(); ++i) {
        std::string value;
        for (int c = 1; c < res.columns(); ++c)
            value += (c > 1 ? " " : "") + (res.is_null(i, c) ? "NULL" : res.get(i, c));
        out[res.get(i, 0)] += value + ";";
    }
    return out;
}

void compare_maps(const std::map<std::string, std::string>& src,
                  const std::map<std::string, std::string>& dst, const std::string& what,
                  SchemaDiff& diff) {
    for (const auto& [key, value] : src) {
        auto it = dst.find(key);
        if (it == dst.end())
            diff.differences.push_back(fmt::format("{} \"{}\": missing on target", what, key));
        else if (it->second != value)
            diff.differences.push_back(
                fmt::format("{} \"{}\": source {} / target {}", what, key, value, it->second));
    }
    for (const auto& [key, value] : dst)
        if (!src.count(key))
            diff.differences.push_back(fmt::format("{} \"{}\": only on target", what, key));
}

}  // namespace

void SchemaDiff::merge(const SchemaDiff& other) {
    differences.insert(differences.end(), other.differences.begin(), other.differences.end());
    notes.insert(notes.end(), other.notes.begin(), other.notes.end());
}

std::map<std::string, std::vector<std::string>> schema_entries(std::string_view dump_sql) {
    std::map<std::string, std::vector<std::string>> entries;
    std::vector<std::string>* current = nullptr;
    std::string body;
    auto flush = [&] {
        if (current) current->push_back(body);
        body.clear();
    };
    for (const auto& raw : util::split_lines(dump_sql)) {
        if (starts_with(raw, "-- Name: ")) {
            flush();
            // A materialized view's REFRESH is data (pg_restore --schema-only prints it, pg_dump
            // --schema-only does not): its definition is compared, its rows are derived.
            bool data = raw.find("; Type: MATERIALIZED VIEW DATA;") != std::string::npos;
            current = data ? nullptr : &entries[raw.substr(3)];
            continue;
        }
        std::string line = rtrim(raw);
        if (is_noise(line) || !current) continue;
        body += line + "\n";
    }
    flush();
    for (auto& [header, bodies] : entries) std::sort(bodies.begin(), bodies.end());
    return entries;
}

SchemaDiff compare_schema_text(std::string_view source_sql, std::string_view target_sql,
                               int source_major, int target_major) {
    SchemaDiff diff;
    auto src = schema_entries(source_sql);
    auto dst = schema_entries(target_sql);
    for (const auto& [header, bodies] : src) {
        auto it = dst.find(header);
        if (it == dst.end()) {
            if (auto note =
                    inherent_difference(header, bodies.front(), "", source_major, target_major))
                diff.notes.push_back(*note);
            else
                diff.differences.push_back(fmt::format("schema {}: missing on target", header));
            continue;
        }
        if (it->second == bodies) continue;
        std::string a, b;
        for (const auto& x : bodies) a += x;
        for (const auto& x : it->second) b += x;
        if (auto note = inherent_difference(header, a, b, source_major, target_major))
            diff.notes.push_back(*note);
        else
            diff.differences.push_back(
                fmt::format("schema {}: differs ({})", header, first_difference(a, b)));
    }
    for (const auto& [header, bodies] : dst) {
        if (src.count(header)) continue;
        if (auto note = inherent_difference(header, "", bodies.front(), source_major, target_major))
            diff.notes.push_back(*note);
        else
            diff.differences.push_back(fmt::format("schema {}: only on target", header));
    }
    return diff;
}

std::string schema_from_dump(const fs::path& dump_dir, const fs::path& pg_restore,
                             const ChildEnvironment& environment) {
    return run_tool(pg_restore, {"--schema-only", "--file=-", dump_dir.string()}, environment,
                    "pg_restore --schema-only [" + dump_dir.filename().string() + "]",
                    ExitCode::local);
}

std::string schema_from_server(const fs::path& pg_dump, const pg::Endpoint& endpoint,
                               const std::string& db, const std::optional<std::string>& snapshot) {
    std::vector<std::string> args = {"--schema-only", "--dbname=" + endpoint.child_conninfo(db)};
    if (snapshot) args.push_back("--snapshot=" + *snapshot);
    return run_tool(pg_dump, std::move(args), endpoint.child_environment(),
                    "pg_dump --schema-only [" + db + "]", endpoint.failure_code());
}

SchemaDiff compare_schema_catalogs(pg::Connection& source, pg::Connection& target) {
    auto read = [](pg::Connection& conn) {
        conn.query("SELECT pg_catalog.set_config('search_path', '', false)");
        std::map<std::string, std::string> out;
        auto res = conn.query(sql::schema_catalog(conn.server_version()));
        conn.execute("RESET search_path");
        for (int i = 0; i < res.rows(); ++i)
            out[res.get(i, 0) + " " + res.get(i, 1)] += res.get_optional(i, 2).value_or("NULL");
        return out;
    };
    auto src = read(source), dst = read(target);
    int source_major = source.server_major(), target_major = target.server_major();
    SchemaDiff diff;
    auto inherent = [&](const std::string& object, const std::string& a,
                        const std::string& b) -> std::optional<std::string> {
        if ((object == "schema public") && (source_major < 15) != (target_major < 15))
            return object + ": the public schema's definition changed in PostgreSQL 15";
        // A column of an inheritance child at another position, all else equal.
        auto after_position = [](const std::string& d) {
            auto space = d.find(' ');
            return space == std::string::npos ? d : d.substr(space + 1);
        };
        if (object.rfind("column ", 0) == 0 && !a.empty() && !b.empty() &&
            after_position(a).rfind("child ", 0) == 0 && after_position(a) == after_position(b))
            return object +
                   ": column position of an inheritance child (restore puts inherited "
                   "columns first)";
        return std::nullopt;
    };
    for (const auto& [object, definition] : src) {
        auto it = dst.find(object);
        std::string other = it == dst.end() ? "" : it->second;
        if (other == definition) continue;
        if (auto note = inherent(object, definition, other))
            diff.notes.push_back(*note);
        else if (it == dst.end())
            diff.differences.push_back(fmt::format("schema {}: missing on target", object));
        else
            diff.differences.push_back(fmt::format("schema {}: differs (source: {} / target: {})",
                                                   object, definition, other));
    }
    for (const auto& [object, definition] : dst)
        if (!src.count(object)) {
            if (auto note = inherent(object, "", definition))
                diff.notes.push_back(*note);
            else
                diff.differences.push_back(fmt::format("schema {}: only on target", object));
        }
    return diff;
}

SchemaDiff compare_schema(pg::Connection& source, pg::Connection& target,
                          const process::ClientTools& tools, const std::string& db,
                          const std::optional<fs::path>& dump_dir,
                          const std::optional<std::string>& snapshot,
                          const ChildEnvironment& pg_restore_environment) {
    SchemaDiff diff;
    int newest = std::max(source.server_major(), target.server_major());
    if (tools.version.major >= newest) {
        auto source_sql =
            dump_dir ? schema_from_dump(*dump_dir, tools.pg_restore, pg_restore_environment)
                     : schema_from_server(tools.pg_dump, source.endpoint(), db, snapshot);
        auto target_sql = schema_from_server(tools.pg_dump, target.endpoint(), db);
        diff = compare_schema_text(source_sql, target_sql, source.server_major(),
                                   target.server_major());
    } else {
        diff = compare_schema_catalogs(source, target);
        diff.notes.push_back(
            fmt::format("schema compared from the catalogs: pg_dump {} cannot read PostgreSQL {}",
                        tools.version.text, newest));
    }
    diff.merge(compare_database_properties(source, target, db));
    return diff;
}

SchemaDiff compare_roles(pg::Connection& source, pg::Connection& target) {
    SchemaDiff diff;
    PinnedSession pinned_source(source);  // VALID UNTIL is a timestamptz
    PinnedSession pinned_target(target);
    compare_maps(query_pairs(source, sql::roles(source.server_version())),
                 query_pairs(target, sql::roles(target.server_version())), "role", diff);
    auto memberships = [](pg::Connection& conn) {
        std::map<std::string, std::string> out;
        auto res = conn.query(sql::kRoleMemberships);
        for (int i = 0; i < res.rows(); ++i)
            out[res.get(i, 1) + " in " + res.get(i, 0)] +=
                res.get(i, 2) == "t" ? "WITH ADMIN OPTION" : "member";
        return out;
    };
    compare_maps(memberships(source), memberships(target), "membership", diff);
    compare_maps(query_pairs(source, sql::kRoleSettings), query_pairs(target, sql::kRoleSettings),
                 "settings of role", diff);
    return diff;
}

SchemaDiff compare_database_properties(pg::Connection& source, pg::Connection& target,
                                       const std::string& db) {
    SchemaDiff diff;
    auto s = pipeline::read_definition(source, db);
    auto t = pipeline::read_definition(target, db);
    auto check = [&](const char* what, const std::string& a, const std::string& b) {
        if (a != b)
            diff.differences.push_back(
                fmt::format("database \"{}\" {}: source {} / target {}", db, what, a, b));
    };
    auto opt = [](const std::optional<std::string>& v) { return v ? "'" + *v + "'" : "none"; };
    check("owner", s.owner, t.owner);
    check("encoding", s.encoding, t.encoding);
    check("LC_COLLATE", s.collate, t.collate);
    check("LC_CTYPE", s.ctype, t.ctype);
    check("locale provider", s.provider, t.provider);
    check("provider locale", opt(s.provider_locale), opt(t.provider_locale));
    check("connection limit", std::to_string(s.connection_limit),
          std::to_string(t.connection_limit));
    check("comment", opt(s.comment), opt(t.comment));
    auto grants = [](const pipeline::DatabaseDefinition& d) {
        if (d.default_acl) return std::string("default");
        std::vector<std::string> out;
        for (const auto& g : d.grants)
            out.push_back(fmt::format("{} {}{}", g.grantee.value_or("PUBLIC"), g.privilege,
                                      g.grantable ? " WITH GRANT OPTION" : ""));
        std::sort(out.begin(), out.end());
        std::string joined;
        for (const auto& x : out) joined += (joined.empty() ? "" : ", ") + x;
        return joined;
    };
    check("privileges", grants(s), grants(t));
    auto settings = [](const pipeline::DatabaseDefinition& d) {
        std::vector<std::string> out;
        for (const auto& x : d.settings)
            out.push_back(
                fmt::format("{}{}={}", x.role ? "role " + *x.role + ": " : "", x.name, x.value));
        std::sort(out.begin(), out.end());
        std::string joined;
        for (const auto& x : out) joined += (joined.empty() ? "" : ", ") + x;
        return joined;
    };
    check("settings", settings(s), settings(t));
    return diff;
}

}  // namespace pgmigrate::verify
