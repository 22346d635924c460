#include "pgmigrate/plan/plan.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/pipeline/budget.hpp"
#include "pgmigrate/pipeline/delay_patterns.hpp"
#include "pgmigrate/pipeline/estimates.hpp"
#include "pgmigrate/pipeline/report.hpp"
#include "pgmigrate/pipeline/state.hpp"
#include "pgmigrate/plan/inspect.hpp"
#include "pgmigrate/process/compression.hpp"
#include "pgmigrate/process/pg_tools.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::plan {
namespace fs = std::filesystem;
using nlohmann::json;
using pipeline::Config;
using pipeline::Placement;
using pipeline::SourceDatabase;

namespace {

// At most this many source databases are inspected at once (and never more than the source
// has free connections for, nor --dump-parallel).
constexpr int kMaxInspectConnections = 8;

struct Finding {
    bool blocks = false;
    std::string what;
    std::string fix;  // empty for a note that needs no action
};

// Types removed from PostgreSQL and the major that removed them.
constexpr int kRemovedTypesMajor = 12;  // abstime, reltime, tinterval
constexpr int kPostfixRemovedMajor = 14;
constexpr int kOidsRemovedMajor = 12;

class Planner {
  public:
    Planner(const Config& config, pipeline::Report& report) : c_(config), report_(report) {}
    ExitCode run();

  private:
    void find_tools();
    void connect_servers();
    void decide_databases();
    void check_tools();
    void check_conflicts();
    void check_budget();
    void check_dump_space();
    void check_hazards();
    void print() const;
    json to_json() const;

    void block(std::string what, std::string fix) {
        findings_.push_back({true, std::move(what), std::move(fix)});
    }
    void warn(std::string what, std::string fix = {}) {
        findings_.push_back({false, std::move(what), std::move(fix)});
    }
    std::vector<const SourceDatabase*> migrated() const {
        std::vector<const SourceDatabase*> out;
        for (const auto& d : dbs_)
            if (d.migrated()) out.push_back(&d);
        return out;
    }

    const Config& c_;
    pipeline::Report& report_;
    std::optional<process::ClientTools> tools_;
    std::string tools_error_;
    ServerFacts src_, dst_;
    std::vector<SourceDatabase> dbs_;
    std::map<std::string, DatabaseFacts> facts_;
    std::vector<std::pair<std::string, std::vector<std::string>>> delayed_;  // pattern -> tables
    std::vector<std::string> conflicts_;
    std::vector<std::string> budget_lines_, budget_notes_;
    std::string space_line_;
    std::uint64_t dump_estimate_ = 0, free_bytes_ = 0;
    std::string compression_;
    std::chrono::seconds duration_{0};
    std::vector<Finding> findings_;
};

// The one place plan picks client tools, the same way a run does.
void Planner::find_tools() {
    try {
        tools_ = process::find_client_tools(c_.pg_bin_dir);
        report_.set_tools(*tools_);
    } catch (const Error& e) {
        tools_error_ = e.what();
        block(e.what(), "install the PostgreSQL client tools or pass --pg-bin-dir");
    }
}

void Planner::connect_servers() {
    {
        auto conn = pg::Connection::open(c_.from, c_.from.dbname);
        src_ = inspect_server(conn, pg::Side::source);
        dbs_ = pipeline::discover_databases(
            conn, pipeline::DatabaseFilter(c_.include_databases, c_.exclude_databases));
    }
    {
        auto conn = pg::Connection::open(c_.to, c_.to.dbname);
        dst_ = inspect_server(conn, pg::Side::target);
    }
    report_.set_server(pg::Side::source, src_.major, src_.version);
    report_.set_server(pg::Side::target, dst_.major, dst_.version);
}

void Planner::decide_databases() {
    pipeline::DelayPlan delay(c_.delay_table_data);
    std::vector<std::string> list_tables_of, names;
    for (const auto* d : migrated()) {
        names.push_back(d->name);
        if (delay.database_has_patterns(d->name)) list_tables_of.push_back(d->name);
    }
    int parallel = std::clamp(src_.limits.available() - 1, 1,
                              std::min(kMaxInspectConnections, std::max(1, c_.dump_parallel)));
    facts_ = inspect_databases(c_.from, src_.version_number, dbs_, list_tables_of, parallel);
    for (const auto& [name, f] : facts_)
        if (f.error)
            block(fmt::format("database \"{}\" could not be inspected: {}", name, *f.error),
                  "check that the migration user may connect to it, or exclude it "
                  "with --exclude-database");

    for (const auto& text : c_.delay_table_data) {
        auto pattern = pipeline::parse_delay_pattern(text);
        std::vector<std::string> matched;
        if (pattern && facts_.count(pattern->database))
            for (const auto& t : facts_.at(pattern->database).user_tables)
                if (pattern->matches(t)) matched.push_back(t.schema + "." + t.name);
        delayed_.emplace_back(text, matched);
        if (!pattern || std::find(names.begin(), names.end(), pattern->database) == names.end())
            warn(fmt::format("--delay-table-data {} names a database that is not migrated", text));
        else if (matched.empty())
            warn(fmt::format("--delay-table-data {} matches no table", text));
    }
}

void Planner::check_tools() {
    if (!tools_) return;
    int major = tools_->version.major;
    if (major < src_.major)
        block(fmt::format("pg_dump {} ({}) is older than the source (PostgreSQL {}) and refuses to "
                          "dump it",
                          tools_->version.text, tools_->pg_dump.string(), src_.major),
              fmt::format("install the PostgreSQL {} client tools or newer and point --pg-bin-dir "
                          "at them",
                          std::max(src_.major, dst_.major)));
    if (major < dst_.major)
        warn(fmt::format("pg_restore {} is older than the target (PostgreSQL {}); this usually "
                         "works, but newer client tools are safer",
                         tools_->version.text, dst_.major),
             fmt::format("install the PostgreSQL {} client tools", dst_.major));
    if (dst_.major < src_.major)
        warn(
            fmt::format("the target (PostgreSQL {}) is older than the source ({}): a dump restores "
                        "into an older major only when it uses nothing newer",
                        dst_.major, src_.major));
    try {
        auto spec = c_.compress.value_or(process::default_compression(major));
        process::compression_argument(spec, major);
        compression_ = process::to_string(spec);
    } catch (const Error& e) {
        block(e.what(), "choose a --compress this pg_dump supports");
    }
    if (!src_.superuser)
        warn(
            fmt::format("user {} is not a superuser on the source: pg_dumpall cannot read role "
                        "passwords and pg_dump may lack access to some tables",
                        c_.from.user));
    if (!dst_.superuser)
        block(fmt::format("user {} is not a superuser on the target", c_.to.user),
              "migrate as a superuser: ALTER SYSTEM, creating roles and databases with their "
              "owners and pg_restore --disable-triggers need one");
}

// Role attributes as plan_roles writes them, one entry per attribute ("LOGIN",
// "CONNECTION LIMIT 5", "VALID UNTIL 2030-01-01 00:00:00+00").
std::vector<std::string> attribute_list(const std::string& text) {
    std::vector<std::string> words, out;
    for (size_t start = 0; start < text.size();) {
        size_t space = text.find(' ', start);
        if (space == std::string::npos) space = text.size();
        words.push_back(text.substr(start, space - start));
        start = space + 1;
    }
    for (size_t i = 0; i < words.size(); ++i) {
        if (words[i] == "CONNECTION" && i + 2 < words.size()) {
            out.push_back(words[i] + " " + words[i + 1] + " " + words[i + 2]);
            i += 2;
        } else if (words[i] == "VALID") {
            std::string rest = words[i];
            for (++i; i < words.size(); ++i) rest += " " + words[i];
            out.push_back(rest);
        } else {
            out.push_back(words[i]);
        }
    }
    return out;
}

// (attributes only the source has, attributes only the target has), each "A B".
std::pair<std::string, std::string> attribute_difference(const std::string& source,
                                                         const std::string& target) {
    auto a = attribute_list(source), b = attribute_list(target);
    std::vector<std::string> only_a, only_b;
    for (const auto& x : a)
        if (std::find(b.begin(), b.end(), x) == b.end()) only_a.push_back(x);
    for (const auto& x : b)
        if (std::find(a.begin(), a.end(), x) == a.end()) only_b.push_back(x);
    return {fmt::format("{}", fmt::join(only_a, " ")), fmt::format("{}", fmt::join(only_b, " "))};
}

void Planner::check_conflicts() {
    pipeline::StateStore state(c_.state_home, c_.dump_root);
    auto exists = [&](const std::string& db) {
        return std::find(dst_.database_names.begin(), dst_.database_names.end(), db) !=
               dst_.database_names.end();
    };
    for (const auto* d : migrated()) {
        if (d->placement == Placement::existing) {
            if (!exists(d->name))
                block(fmt::format("the target has no database \"{}\" to carry the source's into",
                                  d->name),
                      fmt::format("create it on the target, or --exclude-database {}", d->name));
            continue;
        }
        if (!exists(d->name)) continue;
        if (state.has(d->name, pipeline::Step::restored)) {
            conflicts_.push_back(
                fmt::format("{}: exists, migrated by an earlier run (verified again)", d->name));
        } else if (state.has(d->name, pipeline::Step::created)) {
            conflicts_.push_back(fmt::format(
                "{}: exists, created by an earlier unfinished run (dropped and restored again)",
                d->name));
        } else {
            conflicts_.push_back(
                fmt::format("{}: exists and was not created by pg-migrate", d->name));
            block(fmt::format("database \"{}\" already exists on the target and was not created "
                              "by pg-migrate",
                              d->name),
                  fmt::format("drop it on the target, or --exclude-database {}", d->name));
        }
    }
    if (!c_.migrate_globals) return;
    for (const auto& [name, role] : src_.roles) {
        if (!role.user_created || name == c_.to.user) continue;
        auto it = dst_.roles.find(name);
        if (it == dst_.roles.end() || it->second.attributes == role.attributes) continue;
        auto [source_only, target_only] =
            attribute_difference(role.attributes, it->second.attributes);
        conflicts_.push_back(fmt::format("role {}: {} on the source, {} on the target", name,
                                         source_only, target_only));
        warn(fmt::format("role {} exists on the target with other attributes ({} on the source, "
                         "{} on the target); the globals step gives it the source's",
                         name, source_only, target_only),
             "check that the target's role may change, or --migrate-globals=false");
    }
}

void Planner::check_budget() {
    auto budget = pipeline::budget_for(c_);
    budget_lines_.push_back(
        fmt::format("source: peak {}, free {}", budget.source_formula(), src_.limits.describe()));
    budget_lines_.push_back(
        fmt::format("target: peak {}, free {}", budget.target_formula(), dst_.limits.describe()));
    try {
        auto fitted = pipeline::fit_budget(budget, src_.limits, dst_.limits, budget_notes_);
        for (const auto& n : budget_notes_)
            warn("connection budget: " + n + " (the run lowers it the same way)",
                 "raise max_connections or lower the flag yourself");
        if (!budget_notes_.empty())
            budget_lines_.push_back(fmt::format("fitted: source {}, target {}",
                                                fitted.source_formula(), fitted.target_formula()));
    } catch (const Error& e) {
        block(e.what(), "raise max_connections on that server or close other connections");
    }
}

// The nearest existing directory at or above path: where the dump root would be created.
fs::path nearest_existing(fs::path path) {
    std::error_code ec;
    while (!path.empty() && !fs::exists(path, ec)) {
        if (path == path.parent_path()) break;
        path = path.parent_path();
    }
    return path;
}

void Planner::check_dump_space() {
    std::string method =
        c_.compress ? c_.compress->method
                    : process::default_compression(tools_ ? tools_->version.major : 0).method;
    std::vector<std::uint64_t> sizes;
    for (const auto* d : migrated()) {
        dump_estimate_ += pipeline::estimated_dump_bytes(d->size_bytes, method);
        sizes.push_back(d->size_bytes);
    }
    duration_ = pipeline::estimated_duration(
        sizes, std::max(1, std::min(c_.dump_parallel, c_.restore_parallel)));
    fs::path where = nearest_existing(c_.dump_root);
    struct statvfs vfs {};
    if (where.empty() || ::statvfs(where.c_str(), &vfs) != 0) {
        block(fmt::format("cannot read the free space of {}", c_.dump_root.string()),
              "choose a --dump-root on a mounted file system");
        return;
    }
    free_bytes_ = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
    space_line_ = fmt::format(
        "{} needed (database sizes x {:.2f} for compression {}), {} free at {}{}",
        util::format_bytes(dump_estimate_), pipeline::dump_size_factor(method), method,
        util::format_bytes(free_bytes_), where.string(),
        where == c_.dump_root ? "" : " (nearest existing parent of " + c_.dump_root.string() + ")");
    if (::access(where.c_str(), W_OK) != 0)
        block(fmt::format("dump root {} is not writable", where.string()),
              "choose another --dump-root or fix its permissions");
    if (dump_estimate_ > free_bytes_)
        block(fmt::format("the dumps need about {} but {} has {} free",
                          util::format_bytes(dump_estimate_), where.string(),
                          util::format_bytes(free_bytes_)),
              "free space there, choose another --dump-root, or compress more (--compress)");
    else if (dump_estimate_ > free_bytes_ / 10 * 8)
        warn(fmt::format("the dumps need about {} of the {} free at {}",
                         util::format_bytes(dump_estimate_), util::format_bytes(free_bytes_),
                         where.string()),
             "the estimate is rough: keep a margin");
}

void Planner::check_hazards() {
    std::vector<std::string> available = dst_.available_extensions;
    std::sort(available.begin(), available.end());
    for (const auto* d : migrated()) {
        auto it = facts_.find(d->name);
        if (it == facts_.end() || it->second.error) continue;
        const auto& f = it->second;
        for (const auto& ext : f.extensions) {
            std::string name = ext.substr(0, ext.find(' '));
            if (!std::binary_search(available.begin(), available.end(), name))
                block(fmt::format("database \"{}\" uses extension {}, which the target (PostgreSQL "
                                  "{}) does not have available",
                                  d->name, name, dst_.major),
                      fmt::format("install the package providing {} for PostgreSQL {} on the "
                                  "target, or drop the extension on the source",
                                  name, dst_.major));
        }
        if (!f.tables_with_oids.empty() && dst_.major >= kOidsRemovedMajor)
            warn(fmt::format("database \"{}\" has tables WITH OIDS ({}); PostgreSQL {} has no "
                             "table OIDs and they arrive without the oid column",
                             d->name, fmt::join(f.tables_with_oids, ", "), dst_.major),
                 "ALTER TABLE ... SET WITHOUT OIDS on the source first if anything reads oid");
        if (!f.removed_type_columns.empty() && dst_.major >= kRemovedTypesMajor)
            block(fmt::format("database \"{}\" has columns of types PostgreSQL {} removed: {}",
                              d->name, kRemovedTypesMajor, fmt::join(f.removed_type_columns, ", ")),
                  "ALTER TABLE ... ALTER COLUMN ... TYPE timestamptz (abstime), interval "
                  "(reltime) or a pair of timestamptz (tinterval) on the source");
        if (!f.postfix_operators.empty() && dst_.major >= kPostfixRemovedMajor)
            block(fmt::format("database \"{}\" has postfix operators, removed in PostgreSQL {}: {}",
                              d->name, kPostfixRemovedMajor, fmt::join(f.postfix_operators, ", ")),
                  "drop them on the source or replace them by prefix operators or functions");
        if (d->placement == Placement::existing) {
            std::vector<std::string> exts;
            for (const auto& e : f.extensions)
                if (e.rfind("plpgsql ", 0) != 0) exts.push_back(e);
            if (f.tables > 0 || f.functions > 0 || !exts.empty() || f.large_objects > 0)
                warn(fmt::format(
                         "the source's {} holds {} table(s), {} function(s), {} large "
                         "object(s){}; they will be carried into the target's {} (as "
                         "pg_dumpall does)",
                         d->name, f.tables, f.functions, f.large_objects,
                         exts.empty() ? "" : fmt::format(", extensions {}", fmt::join(exts, ", ")),
                         d->name),
                     fmt::format("--exclude-database {} leaves them behind", d->name));
        }
    }
    if (!c_.migrate_globals) return;
    int md5 = 0;
    for (const auto& [name, role] : src_.roles) {
        if (!role.user_created) continue;
        if (name.rfind("pg_", 0) == 0)
            block(
                fmt::format("role {} has a name starting with pg_, reserved since PostgreSQL 9.6; "
                            "the target refuses to create it",
                            name),
                fmt::format("ALTER ROLE {} RENAME TO ... on the source, or --migrate-globals=false "
                            "and create it yourself",
                            name));
        if (role.password == std::optional<std::string>("md5") && name != c_.to.user) ++md5;
    }
    if (md5 > 0 && dst_.password_encryption == "scram-sha-256")
        warn(
            fmt::format("{} role(s) have md5 password hashes; they arrive as md5 on a target whose "
                        "password_encryption is scram-sha-256{}",
                        md5, dst_.major >= 18 ? " (PostgreSQL 18 deprecates md5 passwords)" : ""),
            "set those passwords again after the migration so they are stored as SCRAM");
    if (!src_.superuser)
        warn(
            "role passwords cannot be read without a superuser on the source; roles arrive "
            "without passwords");
}

std::string list_or_dash(const std::vector<std::string>& items) {
    return items.empty() ? "-" : fmt::format("{}", fmt::join(items, ", "));
}

void Planner::print() const {
    std::string out;
    auto line = [&](const std::string& s) { out += s + "\n"; };
    line(fmt::format("source: {} (PostgreSQL {}, user {}{})", c_.from.describe(), src_.version,
                     c_.from.user, src_.superuser ? ", superuser" : ""));
    line(fmt::format("target: {} (PostgreSQL {}, user {}{})", c_.to.describe(), dst_.version,
                     c_.to.user, dst_.superuser ? ", superuser" : ""));
    if (tools_)
        line(
            fmt::format("client tools: {} (pg_dump/pg_restore {}): dumps PostgreSQL {}: {}, "
                        "restores into PostgreSQL {}: {}; compression {}",
                        tools_->dir.string(), tools_->version.text, src_.major,
                        tools_->version.major >= src_.major ? "yes" : "NO", dst_.major,
                        tools_->version.major >= dst_.major ? "yes" : "older tools, usually",
                        compression_.empty() ? "-" : compression_));
    else
        line("client tools: " + tools_error_);

    std::vector<std::vector<std::string>> rows, skipped;
    std::uint64_t total = 0;
    for (const auto& d : dbs_) {
        if (d.skip_reason) {
            skipped.push_back({d.name, util::format_bytes(d.size_bytes), *d.skip_reason});
            continue;
        }
        total += d.size_bytes;
        auto it = facts_.find(d.name);
        const DatabaseFacts* f = it == facts_.end() ? nullptr : &it->second;
        rows.push_back(
            {d.name, util::format_bytes(d.size_bytes),
             f && !f->error ? std::to_string(f->tables) : "?",
             f && !f->error ? std::to_string(f->large_objects) : "?",
             f && !f->error ? list_or_dash(f->extensions) : "?",
             d.placement == Placement::existing ? "target's existing " + d.name : "new database"});
    }
    line(fmt::format("\ndatabases to migrate: {}, {}", rows.size(), util::format_bytes(total)));
    if (!rows.empty())
        out += util::render_table(
            {"database", "size", "tables", "large objects", "extensions", "into"}, rows, {1, 2, 3});
    line(fmt::format("\ndatabases not migrated: {}", skipped.size()));
    if (!skipped.empty()) out += util::render_table({"database", "size", "reason"}, skipped, {1});
    if (!delayed_.empty()) {
        line("\n--delay-table-data:");
        for (const auto& [pattern, tables] : delayed_)
            line(fmt::format(
                "  {}: {}", pattern,
                tables.empty() ? "no table" : fmt::format("{}", fmt::join(tables, ", "))));
    }
    line(conflicts_.empty() ? "\ntarget conflicts: none" : "\ntarget conflicts:");
    for (const auto& cf : conflicts_) line("  " + cf);
    line("\nconnection budget:");
    for (const auto& b : budget_lines_) line("  " + b);
    line("\ndump space: " + (space_line_.empty() ? std::string("unknown") : space_line_));
    line(fmt::format("estimated duration: {} ({})", util::format_duration(duration_),
                     pipeline::duration_method()));

    int blockers = 0, warnings = 0;
    for (const auto& f : findings_) (f.blocks ? blockers : warnings)++;
    line(fmt::format("\nfindings: {} blocker(s), {} warning(s)", blockers, warnings));
    auto sorted = findings_;
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const Finding& a, const Finding& b) { return a.blocks && !b.blocks; });
    for (const auto& f : sorted) {
        line(fmt::format("  {} {}", f.blocks ? "BLOCKER" : "warning", f.what));
        if (!f.fix.empty()) line("          fix: " + f.fix);
    }
    line(blockers == 0 ? "\nresult: the run can go ahead"
                       : fmt::format("\nresult: blocked by {} problem(s); fix them and plan again",
                                     blockers));
    std::cout << out << std::flush;
}

json Planner::to_json() const {
    json databases = json::array();
    for (const auto& d : dbs_) {
        json j = {{"name", d.name},
                  {"size_bytes", d.size_bytes},
                  {"migrated", d.migrated()},
                  {"placement", pipeline::placement_name(d.placement)},
                  {"skip_reason", d.skip_reason ? json(*d.skip_reason) : json(nullptr)}};
        if (auto it = facts_.find(d.name); it != facts_.end()) {
            const auto& f = it->second;
            j["tables"] = f.tables;
            j["large_objects"] = f.large_objects;
            j["extensions"] = f.extensions;
            j["functions"] = f.functions;
            j["tables_with_oids"] = f.tables_with_oids;
            j["removed_type_columns"] = f.removed_type_columns;
            j["postfix_operators"] = f.postfix_operators;
            j["inspect_error"] = f.error ? json(*f.error) : json(nullptr);
        }
        databases.push_back(std::move(j));
    }
    json delayed = json::array();
    for (const auto& [pattern, tables] : delayed_)
        delayed.push_back({{"pattern", pattern}, {"tables", tables}});
    json findings = json::array();
    bool blocked = false;
    for (const auto& f : findings_) {
        findings.push_back({{"level", f.blocks ? "blocker" : "warning"},
                            {"what", f.what},
                            {"fix", f.fix.empty() ? json(nullptr) : json(f.fix)}});
        blocked = blocked || f.blocks;
    }
    return {{"can_go_ahead", !blocked},
            {"databases", databases},
            {"delay_table_data", delayed},
            {"target_conflicts", conflicts_},
            {"connection_budget", {{"lines", budget_lines_}, {"notes", budget_notes_}}},
            {"dump_space",
             {{"estimate_bytes", dump_estimate_},
              {"free_bytes", free_bytes_},
              {"dump_root", c_.dump_root.string()},
              {"compression", compression_}}},
            {"estimated_duration_seconds", duration_.count()},
            {"estimate_method", pipeline::duration_method()},
            {"findings", findings}};
}

ExitCode Planner::run() {
    find_tools();
    connect_servers();
    decide_databases();
    check_tools();
    check_conflicts();
    check_budget();
    check_dump_space();
    check_hazards();
    print();
    std::vector<pipeline::DatabaseProgress> skipped;
    for (const auto& d : dbs_) {
        if (!d.skip_reason) continue;
        pipeline::DatabaseProgress p;
        p.name = d.name;
        p.size_bytes = d.size_bytes;
        p.placement = d.placement;
        p.skip_reason = d.skip_reason;
        skipped.push_back(std::move(p));
    }
    report_.set_databases(std::move(skipped));
    report_.section("plan") = to_json();
    bool blocked =
        std::any_of(findings_.begin(), findings_.end(), [](const Finding& f) { return f.blocks; });
    return blocked ? ExitCode::migration_failed : ExitCode::ok;
}

}  // namespace

ExitCode run_plan(const Config& config) {
    pipeline::Report report(config);
    return report.run([&] { return Planner(config, report).run(); });
}

}  // namespace pgmigrate::plan
