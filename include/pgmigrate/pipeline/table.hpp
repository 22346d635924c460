#pragma once
#include <compare>
#include <string>

namespace pgmigrate::pipeline {

// A table by schema and name (both unquoted, as in the catalog).
struct TableKey {
    std::string schema;
    std::string name;
    auto operator<=>(const TableKey&) const = default;
    std::string display() const { return schema + "." + name; }
};

}  // namespace pgmigrate::pipeline
