#include "pgmigrate/pipeline/delay_patterns.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "pgmigrate/util/error.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace {

struct Part {
    std::string text;
    bool quoted = false;
};

// A pattern split on dots outside double quotes, or the reason it cannot be.
struct Split {
    std::vector<Part> parts;
    std::string problem;
};

Split split_parts(const std::string& text) {
    Split out;
    out.parts.emplace_back();
    bool in_quotes = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '"' && in_quotes && i + 1 < text.size() && text[i + 1] == '"') {
            out.parts.back().text += '"';
            ++i;
        } else if (c == '"') {
            in_quotes = !in_quotes;
            out.parts.back().quoted = true;
        } else if (c == '.' && !in_quotes) {
            out.parts.emplace_back();
        } else {
            out.parts.back().text += c;
        }
    }
    if (in_quotes) {
        out.problem = "a double quote is not closed";
    } else if (out.parts.size() < 2 || out.parts.size() > 3) {
        out.problem = fmt::format("it has {} dot-separated part{}", out.parts.size(),
                                  out.parts.size() == 1 ? "" : "s");
    } else if (std::any_of(out.parts.begin(), out.parts.end(),
                           [](const Part& p) { return p.text.empty(); })) {
        out.problem = "a part is empty";
    }
    return out;
}

bool part_matches(const std::string& pattern, bool exact, const std::string& name) {
    if (exact) return util::glob_match(pattern, name);
    return util::glob_match(util::to_lower(pattern), util::to_lower(name));
}

}  // namespace

bool DelayPattern::matches(const TableKey& t) const {
    return part_matches(schema, schema_exact, t.schema) && part_matches(table, table_exact, t.name);
}

std::optional<DelayPattern> parse_delay_pattern(const std::string& text) {
    auto split = split_parts(text);
    if (!split.problem.empty()) return std::nullopt;
    const auto& parts = split.parts;
    DelayPattern p;
    p.text = text;
    p.database = parts[0].text;
    if (parts.size() == 3) {
        p.schema = parts[1].text;
        p.schema_exact = parts[1].quoted;
    } else {
        p.schema_exact = true;
    }
    p.table = parts.back().text;
    p.table_exact = parts.back().quoted;
    return p;
}

std::string delay_pattern_error(const std::string& text) {
    auto problem = split_parts(text).problem;
    if (problem.empty()) return {};
    return fmt::format(
        "--delay-table-data '{}': {}; expected DATABASE.TABLE_PATTERN or "
        "DATABASE.SCHEMA.TABLE_PATTERN (e.g. sales.events, sales.fact_*, "
        "db.\"name.with.dots\")",
        text, problem);
}

DelayPlan::DelayPlan(const std::vector<std::string>& pattern_texts) {
    for (const auto& text : pattern_texts) {
        auto p = parse_delay_pattern(text);
        if (!p) throw Error(ExitCode::usage, delay_pattern_error(text));
        patterns_.push_back(*p);
    }
}

bool DelayPlan::database_has_patterns(const std::string& db) const {
    return std::any_of(patterns_.begin(), patterns_.end(),
                       [&](const DelayPattern& p) { return p.database == db; });
}

std::set<TableKey> DelayPlan::delayed_tables(const std::string& db,
                                             const std::vector<TableKey>& tables) const {
    std::set<TableKey> out;
    for (const auto& p : patterns_) {
        if (p.database != db) continue;
        for (const auto& t : tables)
            if (p.matches(t)) out.insert(t);
    }
    return out;
}

std::vector<std::string> DelayPlan::unmatched(const std::string& db,
                                              const std::vector<TableKey>& tables) const {
    std::vector<std::string> out;
    for (const auto& p : patterns_) {
        if (p.database != db) continue;
        if (std::none_of(tables.begin(), tables.end(),
                         [&](const TableKey& t) { return p.matches(t); }))
            out.push_back(p.text);
    }
    return out;
}

std::vector<std::string> DelayPlan::unknown_databases(const std::vector<std::string>& dbs) const {
    std::vector<std::string> out;
    for (const auto& p : patterns_)
        if (std::find(dbs.begin(), dbs.end(), p.database) == dbs.end()) out.push_back(p.text);
    return out;
}

}  // namespace pgmigrate::pipeline
