#include "pgmigrate/pipeline/delay_patterns.hpp"

#include <algorithm>

#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pipeline {
namespace {

// Splits on dots outside double quotes; each part reports whether it was quoted.
std::vector<std::pair<std::string, bool>> split_parts(const std::string& text) {
    std::vector<std::pair<std::string, bool>> parts(1);
    bool in_quotes = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '"') {
            if (in_quotes && i + 1 < text.size() && text[i + 1] == '"') {
                parts.back().first += '"';
                ++i;
            } else {
                in_quotes = !in_quotes;
                parts.back().second = true;
            }
        } else if (c == '.' && !in_quotes) {
            parts.emplace_back();
        } else {
            parts.back().first += c;
        }
    }
    if (in_quotes) return {};
    return parts;
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
    auto parts = split_parts(text);
    if (parts.size() != 2 && parts.size() != 3) return std::nullopt;
    for (const auto& [part, quoted] : parts)
        if (part.empty()) return std::nullopt;
    DelayPattern p;
    p.text = text;
    p.database = parts[0].first;
    if (parts.size() == 3) {
        p.schema = parts[1].first;
        p.schema_exact = parts[1].second;
    } else {
        p.schema_exact = true;
    }
    p.table = parts.back().first;
    p.table_exact = parts.back().second;
    return p;
}

DelayPlan::DelayPlan(const std::vector<std::string>& pattern_texts) {
    for (const auto& text : pattern_texts)
        if (auto p = parse_delay_pattern(text)) patterns_.push_back(*p);
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
