#pragma once
// --delay-table-data patterns: DB.TABLE (schema public) or DB.SCHEMA.TABLE, with * and ? globs.
// A part in double quotes matches exactly; a bare part matches case-insensitively (an operator
// typing sales.Events means the table however its case was folded).
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/table.hpp"

namespace pgmigrate::pipeline {

struct DelayPattern {
    std::string text;  // as given
    std::string database;
    std::string schema = "public";
    bool schema_exact = false;
    std::string table;
    bool table_exact = false;

    bool matches(const TableKey& table) const;
};

// The one parser of the syntax (the command line validates with it, DelayPlan reads with it).
// nullopt when the text is not DB.TABLE or DB.SCHEMA.TABLE.
std::optional<DelayPattern> parse_delay_pattern(const std::string& text);
// Empty when text parses; else one line for the operator naming the pattern and what is wrong.
std::string delay_pattern_error(const std::string& text);

class DelayPlan {
  public:
    DelayPlan() = default;
    // Throws pgmigrate::Error (usage) with delay_pattern_error's line for a malformed pattern.
    explicit DelayPlan(const std::vector<std::string>& pattern_texts);

    bool database_has_patterns(const std::string& db) const;
    // The tables of db that some pattern matches.
    std::set<TableKey> delayed_tables(const std::string& db,
                                      const std::vector<TableKey>& tables) const;
    // Patterns of db that match none of tables (for a warning).
    std::vector<std::string> unmatched(const std::string& db,
                                       const std::vector<TableKey>& tables) const;
    // Patterns naming a database that is not among dbs.
    std::vector<std::string> unknown_databases(const std::vector<std::string>& dbs) const;

  private:
    std::vector<DelayPattern> patterns_;
};

}  // namespace pgmigrate::pipeline
