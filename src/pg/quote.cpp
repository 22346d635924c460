#include "pgmigrate/pg/quote.hpp"

#include <cctype>

#include "pgmigrate/util/text.hpp"

namespace pgmigrate::pg {

std::string quote_ident(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string quote_literal(std::string_view text) {
    bool has_backslash = text.find('\\') != std::string_view::npos;
    std::string out = has_backslash ? "E'" : "'";
    for (char c : text) {
        if (c == '\'' || (has_backslash && c == '\\')) out += c;
        out += c;
    }
    return out + "'";
}

std::string qualified_name(std::string_view schema, std::string_view table) {
    return quote_ident(schema) + "." + quote_ident(table);
}

std::string conninfo_value(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

bool is_identifier_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '$' || u >= 0x80;
}

std::optional<std::string> read_identifier(std::string_view text, size_t& pos) {
    std::string name;
    if (pos < text.size() && text[pos] == '"') {
        for (size_t i = pos + 1; i < text.size(); ++i) {
            if (text[i] != '"') {
                name += text[i];
            } else if (i + 1 < text.size() && text[i + 1] == '"') {
                name += '"';
                ++i;
            } else {
                pos = i + 1;
                return name;
            }
        }
        return std::nullopt;
    }
    while (pos < text.size() && is_identifier_char(text[pos])) name += text[pos++];
    if (name.empty()) return std::nullopt;
    return util::to_lower(name);
}

}  // namespace pgmigrate::pg
