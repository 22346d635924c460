#pragma once
// Quoting for SQL text and libpq connection strings. Pure functions (no connection needed):
// the servers we talk to run with standard_conforming_strings on, the default since 9.1.
#include <optional>
#include <string>
#include <string_view>

namespace pgmigrate::pg {

// "name" with embedded double quotes doubled; always quoted, so case and keywords survive.
std::string quote_ident(std::string_view name);
// 'text' with single quotes doubled; E'...' form with doubled backslashes when text has any.
std::string quote_literal(std::string_view text);
// schema.table, both parts quoted.
std::string qualified_name(std::string_view schema, std::string_view table);
// A value in a libpq conninfo string: 'value' with \ and ' escaped by backslash.
std::string conninfo_value(std::string_view value);

// A character of a bare SQL identifier (letters, digits, _, $ and every non-ASCII byte).
bool is_identifier_char(char c);
// The SQL identifier at text[pos]: "quoted ""name""" (doubled quotes undone) or a bare word
// (folded to lower case, as the server does). Advances pos past it; nullopt when there is no
// name there or its quote is not closed.
std::optional<std::string> read_identifier(std::string_view text, size_t& pos);

}  // namespace pgmigrate::pg
