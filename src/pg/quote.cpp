#include "pgmigrate/pg/quote.hpp"

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

}  // namespace pgmigrate::pg
