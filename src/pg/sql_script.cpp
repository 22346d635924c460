#include "pgmigrate/pg/sql_script.hpp"

#include <cctype>

#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pg {
namespace {

bool is_ident_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

// At text[i] == '$': the dollar-quote tag ("$tag$" or "$$") or empty when it is not one.
std::string_view dollar_tag(std::string_view text, size_t i) {
    size_t j = i + 1;
    while (j < text.size() && text[j] != '$') {
        auto u = static_cast<unsigned char>(text[j]);
        if (!(std::isalnum(u) || text[j] == '_' || u >= 0x80)) return {};
        if (j == i + 1 && std::isdigit(u)) return {};
        ++j;
    }
    if (j >= text.size()) return {};
    return text.substr(i, j - i + 1);
}

}  // namespace

std::vector<ScriptItem> split_script(std::string_view script) {
    std::vector<ScriptItem> items;
    std::string current;
    auto flush = [&] {
        std::string stmt = util::trim(current);
        if (!stmt.empty()) items.push_back({stmt, false});
        current.clear();
    };
    size_t i = 0;
    bool at_line_start = true;
    while (i < script.size()) {
        char c = script[i];
        if (at_line_start && util::trim(current).empty() && c == '\\') {
            size_t end = script.find('\n', i);
            if (end == std::string_view::npos) end = script.size();
            items.push_back({util::trim(script.substr(i, end - i)), true});
            current.clear();
            i = end + 1;
            continue;
        }
        at_line_start = false;
        if (c == '-' && i + 1 < script.size() && script[i + 1] == '-') {
            size_t end = script.find('\n', i);
            i = end == std::string_view::npos ? script.size() : end;
            continue;
        }
        if (c == '/' && i + 1 < script.size() && script[i + 1] == '*') {
            size_t end = script.find("*/", i + 2);
            i = end == std::string_view::npos ? script.size() : end + 2;
            continue;
        }
        if (c == '\'' || c == '"') {
            bool escapes = c == '\'' && i > 0 && (script[i - 1] == 'E' || script[i - 1] == 'e');
            size_t j = i + 1;
            while (j < script.size()) {
                if (escapes && script[j] == '\\') {
                    j += 2;
                    continue;
                }
                if (script[j] == c) {
                    if (j + 1 < script.size() && script[j + 1] == c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            j = std::min(j + 1, script.size());
            current.append(script.substr(i, j - i));
            i = j;
            continue;
        }
        if (c == '$' && (i == 0 || !is_ident_char(script[i - 1]))) {
            auto tag = dollar_tag(script, i);
            if (!tag.empty()) {
                size_t end = script.find(tag, i + tag.size());
                end = end == std::string_view::npos ? script.size() : end + tag.size();
                current.append(script.substr(i, end - i));
                i = end;
                continue;
            }
        }
        if (c == ';') {
            flush();
            ++i;
            continue;
        }
        if (c == '\n') at_line_start = true;
        current += c;
        ++i;
    }
    flush();
    return items;
}

std::pair<std::string, size_t> read_identifier(std::string_view text) {
    size_t i = 0;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::string name;
    if (i < text.size() && text[i] == '"') {
        ++i;
        while (i < text.size()) {
            if (text[i] == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    name += '"';
                    i += 2;
                    continue;
                }
                ++i;
                break;
            }
            name += text[i++];
        }
        return {name, i};
    }
    while (i < text.size() && is_ident_char(text[i])) name += text[i++];
    return {util::to_lower(name), i};
}

}  // namespace pgmigrate::pg
