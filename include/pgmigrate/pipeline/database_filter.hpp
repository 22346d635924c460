#pragma once
// --include-database / --exclude-database: which source databases a run takes, with
// pg_dumpall's --exclude-database pattern rules (psql patterns for one name): unquoted letters
// fold to lower case, '*' matches any string and '?' one character; double quotes keep the case
// and make '*' and '?' literal, and "" inside quotes is one double quote. A dot outside quotes is
// refused, as pg_dumpall does ("too many dotted names"); regular-expression syntax such as
// [0-9] is matched literally.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgmigrate::pipeline {

class DatabasePattern {
  public:
    // Throws pgmigrate::Error (usage) naming the flag when the text is not a valid pattern.
    DatabasePattern(std::string text, std::string_view flag);

    bool matches(std::string_view name) const;
    const std::string& text() const { return text_; }

  private:
    struct Token {
        enum Kind { literal, any_string, any_char } kind;
        char c = 0;
    };
    std::string text_;
    std::vector<Token> tokens_;
};

// nullopt when the text is valid, else the reason (for the flag parser's usage message).
std::optional<std::string> database_pattern_error(const std::string& text, std::string_view flag);

class DatabaseFilter {
  public:
    DatabaseFilter() = default;
    DatabaseFilter(const std::vector<std::string>& include,
                   const std::vector<std::string>& exclude);

    // nullopt when name is taken, else why not ("excluded by --exclude-database 'x'",
    // "not matched by any --include-database"). Exclude wins over include.
    std::optional<std::string> rejection(std::string_view name) const;

  private:
    std::vector<DatabasePattern> include_, exclude_;
};

}  // namespace pgmigrate::pipeline
