#include "pgmigrate/verify/type_tree.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/verify/catalog.hpp"

namespace pgmigrate::verify {
namespace {

// pg_type.dat: the oids are fixed.
constexpr std::uint32_t kFloat4 = 700, kFloat8 = 701, kBox = 603;
constexpr std::uint32_t kGeometric[] = {600, 601, 602, 603, 604, 628, 718};  // point ... circle
constexpr std::uint32_t kGeometricArrays[] = {1017, 1018, 1019, 1020, 1027, 629, 719};

std::uint32_t parse_oid(const std::string& text) {
    std::uint32_t oid = 0;
    std::from_chars(text.data(), text.data() + text.size(), oid);
    return oid;
}

template <size_t N>
bool one_of(std::uint32_t oid, const std::uint32_t (&list)[N]) {
    return std::find(std::begin(list), std::end(list), oid) != std::end(list);
}

}  // namespace

std::set<std::uint32_t> TypeTree::relations_to_load(const std::vector<std::uint32_t>& types) const {
    std::set<std::uint32_t> out, seen;
    std::vector<std::uint32_t> todo(types.begin(), types.end());
    while (!todo.empty()) {
        std::uint32_t type = todo.back();
        todo.pop_back();
        auto node = types_.find(type);
        if (!seen.insert(type).second || node == types_.end()) continue;
        const TypeNode& n = node->second;
        for (std::uint32_t part : {n.base, n.element, n.subtype})
            if (part) todo.push_back(part);
        if (n.typtype != 'c') continue;
        auto fields = fields_.find(n.relation);
        if (fields == fields_.end())
            out.insert(n.relation);
        else
            todo.insert(todo.end(), fields->second.begin(), fields->second.end());
    }
    return out;
}

ColumnKind TypeTree::kind_of(std::uint32_t type) const {
    std::set<std::uint32_t> open;
    return kind_of(type, open);
}

char TypeTree::delimiter_of(std::uint32_t type) const {
    auto node = types_.find(type);
    if (node != types_.end()) return node->second.delimiter;
    return type == kBox ? ';' : ',';
}

ColumnKind TypeTree::kind_of(std::uint32_t type, std::set<std::uint32_t>& open) const {
    if (type == kFloat4) return ColumnKind::float4;
    if (type == kFloat8) return ColumnKind::float8;
    if (one_of(type, kGeometric)) return ColumnKind::geometric;
    if (one_of(type, kGeometricArrays))
        return ColumnKind::array_of(ColumnKind::geometric, type == 1020 ? ';' : ',');
    auto node = types_.find(type);
    // Not in the tree, or a type made of itself (the catalog does not allow it): as text.
    if (node == types_.end() || !open.insert(type).second) return ColumnKind::text;
    const TypeNode& n = node->second;
    ColumnKind kind;
    if (n.typtype == 'd') {
        kind = kind_of(n.base, open);
    } else if (n.typtype == 'r') {
        kind = ColumnKind::range_of(kind_of(n.subtype, open));
    } else if (n.typtype == 'c') {
        auto fields = fields_.find(n.relation);
        if (fields != fields_.end()) {
            std::vector<ColumnKind> parts;
            for (auto field : fields->second) parts.push_back(kind_of(field, open));
            kind = ColumnKind::composite_of(std::move(parts));
        }
    } else if (n.element) {
        kind = ColumnKind::array_of(kind_of(n.element, open), delimiter_of(n.element));
    }
    open.erase(type);
    return kind;
}

TypeTree read_type_tree(pg::Connection& conn, const std::vector<std::uint32_t>& types) {
    TypeTree tree;
    if (std::none_of(types.begin(), types.end(),
                     [](std::uint32_t t) { return t >= kFirstUserOid; }))
        return tree;
    auto res = conn.query(sql::kTypeTree);
    for (int i = 0; i < res.rows(); ++i) {
        std::string delimiter = res.get(i, 4);
        tree.add_type(parse_oid(res.get(i, 0)),
                      {res.get(i, 1).empty() ? 'b' : res.get(i, 1)[0], parse_oid(res.get(i, 2)),
                       parse_oid(res.get(i, 3)), delimiter.empty() ? ',' : delimiter[0],
                       parse_oid(res.get(i, 5)), parse_oid(res.get(i, 6))});
    }
    // Composites of composites: each round loads the fields of the ones reached so far.
    for (auto relations = tree.relations_to_load(types); !relations.empty();
         relations = tree.relations_to_load(types)) {
        std::string list = "{";
        for (auto r : relations) list += (list.size() > 1 ? "," : "") + std::to_string(r);
        auto fields = conn.query(sql::kCompositeFields, {list + "}"});
        std::map<std::uint32_t, std::vector<std::uint32_t>> by_relation;
        for (auto r : relations) by_relation[r];  // a composite without fields is loaded too
        for (int i = 0; i < fields.rows(); ++i)
            by_relation[parse_oid(fields.get(i, 0))].push_back(parse_oid(fields.get(i, 1)));
        for (auto& [relation, field_types] : by_relation)
            tree.add_fields(relation, std::move(field_types));
    }
    return tree;
}

}  // namespace pgmigrate::verify
