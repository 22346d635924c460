#include "pgmigrate/pipeline/database_filter.hpp"

#include <fmt/format.h>

#include "pgmigrate/util/error.hpp"

namespace pgmigrate::pipeline {

DatabasePattern::DatabasePattern(std::string text, std::string_view flag) : text_(std::move(text)) {
    bool in_quotes = false;
    for (size_t i = 0; i < text_.size(); ++i) {
        char c = text_[i];
        if (c == '"') {
            if (in_quotes && i + 1 < text_.size() && text_[i + 1] == '"') {
                tokens_.push_back({Token::literal, '"'});
                ++i;
            } else {
                in_quotes = !in_quotes;
            }
        } else if (in_quotes) {
            tokens_.push_back({Token::literal, c});
        } else if (c == '*') {
            tokens_.push_back({Token::any_string});
        } else if (c == '?') {
            tokens_.push_back({Token::any_char});
        } else if (c == '.') {
            throw Error(ExitCode::usage,
                        fmt::format("{} '{}': a database name has no dotted parts (quote a dot "
                                    "that is part of the name: \"a.b\")",
                                    flag, text_));
        } else {
            // psql folds with the C locale's tolower for ASCII; bytes of multi-byte UTF-8
            // characters stay as they are.
            char folded = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
            tokens_.push_back({Token::literal, folded});
        }
    }
    if (in_quotes)
        throw Error(ExitCode::usage,
                    fmt::format("{} '{}': unterminated double quote", flag, text_));
    if (tokens_.empty())
        throw Error(ExitCode::usage, fmt::format("{} '{}': empty pattern", flag, text_));
}

bool DatabasePattern::matches(std::string_view name) const {
    // Iterative wildcard match with single backtrack point (the last '*').
    size_t t = 0, n = 0;
    std::optional<size_t> star_t;
    size_t star_n = 0;
    while (n < name.size()) {
        if (t < tokens_.size() && tokens_[t].kind == Token::any_string) {
            star_t = t++;
            star_n = n;
        } else if (t < tokens_.size() &&
                   (tokens_[t].kind == Token::any_char ||
                    (tokens_[t].kind == Token::literal && tokens_[t].c == name[n]))) {
            ++t;
            ++n;
        } else if (star_t) {
            t = *star_t + 1;
            n = ++star_n;
        } else {
            return false;
        }
    }
    while (t < tokens_.size() && tokens_[t].kind == Token::any_string) ++t;
    return t == tokens_.size();
}

std::optional<std::string> database_pattern_error(const std::string& text, std::string_view flag) {
    try {
        DatabasePattern p(text, flag);
        return std::nullopt;
    } catch (const Error& e) {
        return std::string(e.what());
    }
}

DatabaseFilter::DatabaseFilter(const std::vector<std::string>& include,
                               const std::vector<std::string>& exclude) {
    for (const auto& t : include) include_.emplace_back(t, "--include-database");
    for (const auto& t : exclude) exclude_.emplace_back(t, "--exclude-database");
}

std::optional<std::string> DatabaseFilter::rejection(std::string_view name) const {
    for (const auto& p : exclude_)
        if (p.matches(name)) return fmt::format("excluded by --exclude-database '{}'", p.text());
    if (include_.empty()) return std::nullopt;
    for (const auto& p : include_)
        if (p.matches(name)) return std::nullopt;
    return std::string("not matched by any --include-database");
}

}  // namespace pgmigrate::pipeline
