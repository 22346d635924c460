#pragma once
// What a column's type is made of, from the catalog (catalog.hpp kTypeTree, kCompositeFields),
// reduced to a ColumnKind: domains to their base type, arrays, composites and ranges to their
// parts, down to the built-in float and geometric types. Kept apart from the connection so the
// resolution can be tested without a server.
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "pgmigrate/verify/column_kind.hpp"

namespace pgmigrate::pg {
class Connection;
}

namespace pgmigrate::verify {

// Built-in types keep their oids in every release.
inline constexpr std::uint32_t kFirstUserOid = 16384;  // FirstNormalObjectId

// One row of kTypeTree.
struct TypeNode {
    char typtype = 'b';          // 'd' domain, 'c' composite, 'r' range, 'b' (arrays)
    std::uint32_t base = 0;      // domain: the type it is over
    std::uint32_t element = 0;   // array: its element type
    char delimiter = ',';        // between elements of an array of this type
    std::uint32_t relation = 0;  // composite: the relation holding its fields
    std::uint32_t subtype = 0;   // range: its subtype
};

class TypeTree {
  public:
    void add_type(std::uint32_t oid, const TypeNode& node) { types_[oid] = node; }
    void add_fields(std::uint32_t relation, std::vector<std::uint32_t> field_types) {
        fields_[relation] = std::move(field_types);
    }
    // The composites' relations reachable from `types` whose fields are not added yet.
    std::set<std::uint32_t> relations_to_load(const std::vector<std::uint32_t>& types) const;
    // The kind of a column of this type; text for what the tree does not know.
    ColumnKind kind_of(std::uint32_t type) const;

  private:
    ColumnKind kind_of(std::uint32_t type, std::set<std::uint32_t>& open) const;
    char delimiter_of(std::uint32_t type) const;

    std::map<std::uint32_t, TypeNode> types_;
    std::map<std::uint32_t, std::vector<std::uint32_t>> fields_;
};

// The tree of the connection's catalog for columns of `types` (every composite they reach
// included); empty when none of them is a user-defined type.
TypeTree read_type_tree(pg::Connection& conn, const std::vector<std::uint32_t>& types);

}  // namespace pgmigrate::verify
