#include "pgmigrate/verify/server_figures.hpp"

#include <algorithm>
#include <charconv>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/verify/catalog.hpp"
#include "pgmigrate/verify/session.hpp"
#include "pgmigrate/verify/type_tree.hpp"

namespace pgmigrate::verify {
namespace {

std::uint32_t parse_oid(const std::string& text) {
    std::uint32_t oid = 0;
    std::from_chars(text.data(), text.data() + text.size(), oid);
    return oid;
}

// "\x0102..." (bytea_output = hex) as bytes.
std::string decode_hex_bytea(const std::string& text) {
    std::string out;
    if (text.size() < 2) return out;
    out.reserve((text.size() - 2) / 2);
    auto nibble = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
    for (size_t i = 2; i + 1 < text.size(); i += 2)
        out.push_back(static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1])));
    return out;
}

}  // namespace

std::vector<TableShape> read_table_shapes(pg::Connection& conn) {
    auto res = conn.query(sql::table_shapes(conn.server_major()));
    std::vector<TableShape> shapes;
    std::vector<std::vector<std::uint32_t>> types;  // per shape, per column
    for (int i = 0; i < res.rows(); ++i) {
        TableKey key{res.get(i, 1), res.get(i, 2)};
        if (shapes.empty() || shapes.back().table != key) {
            shapes.push_back({key, parse_oid(res.get(i, 0)), {}, {}});
            types.emplace_back();
        }
        if (res.is_null(i, 3)) continue;
        shapes.back().columns.push_back(res.get(i, 3));
        shapes.back().kinds.push_back(ColumnKind::from_name(res.get(i, 4)));
        types.back().push_back(parse_oid(res.get(i, 5)));
    }
    // What the SQL left as text may still carry floats: domains of domains, arrays of domains,
    // composites, ranges, geometric types.
    std::vector<std::uint32_t> all_types;
    for (const auto& t : types) all_types.insert(all_types.end(), t.begin(), t.end());
    TypeTree tree = read_type_tree(conn, all_types);
    for (size_t s = 0; s < shapes.size(); ++s)
        for (size_t c = 0; c < shapes[s].kinds.size(); ++c)
            if (shapes[s].kinds[c] == ColumnKind::text)
                shapes[s].kinds[c] = tree.kind_of(types[s][c]);
    std::sort(shapes.begin(), shapes.end(),
              [](const TableShape& a, const TableShape& b) { return a.table < b.table; });
    return shapes;
}

std::vector<TableShape> shapes_to_read(const std::vector<TableShape>& expected,
                                       const std::vector<TableShape>& on_server) {
    std::map<TableKey, const TableShape*> server;
    for (const auto& s : on_server) server[s.table] = &s;
    std::vector<TableShape> out;
    for (const auto& want : expected) {
        auto it = server.find(want.table);
        if (it == server.end()) continue;
        const TableShape& have = *it->second;
        // Same columns in another order (a restored inheritance child has its inherited columns
        // first): read them in the source's order, which is the order of the dump's rows.
        auto sorted = [](std::vector<std::string> v) {
            std::sort(v.begin(), v.end());
            return v;
        };
        bool same = have.columns == want.columns || sorted(have.columns) == sorted(want.columns);
        out.push_back(same ? want : have);
        out.back().oid = have.oid;
    }
    return out;
}

std::string copy_column_list(const TableShape& shape) {
    if (shape.columns.empty()) return "";
    std::string out = "(";
    for (size_t i = 0; i < shape.columns.size(); ++i) {
        if (i) out += ", ";
        out += pg::quote_ident(shape.columns[i]);
    }
    return out + ")";
}

TableFigures table_figures(pg::Connection& conn, const TableShape& shape, Level level) {
    std::string table = pg::qualified_name(shape.table.schema, shape.table.name);
    if (level == Level::counts) {
        auto res = conn.query(sql::kCountFrom + table, {}, pg::kLongQueryTimeout);
        return {res.get_int(0, 0), std::nullopt};
    }
    PinnedSession pinned(conn);
    RowDigester digester(shape.kinds);
    conn.copy_out("COPY " + table + " " + copy_column_list(shape) + " TO STDOUT",
                  [&](std::string_view row) {
                      if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
                      digester.add_line(row);
                  });
    return {digester.rows(), digester.digest()};
}

std::map<TableKey, SequencePosition> sequence_positions(pg::Connection& conn) {
    std::map<TableKey, SequencePosition> out;
    auto list = conn.query(sql::kSequences);
    for (int i = 0; i < list.rows(); ++i) {
        TableKey key{list.get(i, 0), list.get(i, 1)};
        auto res =
            conn.query(sql::kSequencePositionFrom + pg::qualified_name(key.schema, key.name));
        out[key] = {res.get_int(0, 0), res.get(0, 1) == "t"};
    }
    return out;
}

LargeObjectFigures large_object_figures(pg::Connection& conn) {
    PinnedSession pinned(conn);  // bytea_output = hex
    constexpr int kChunk = 1 << 20;
    LargeObjectFigures figures;
    auto list = conn.query(sql::kLargeObjects);
    for (int i = 0; i < list.rows(); ++i) {
        std::uint32_t oid = parse_oid(list.get(i, 0));
        LargeObjectHasher hasher(oid);
        for (long long offset = 0;; offset += kChunk) {
            cancel::throw_if_requested();
            auto res = conn.query(sql::kLargeObjectChunk,
                                  {list.get(i, 0), std::to_string(offset), std::to_string(kChunk)});
            std::string bytes = decode_hex_bytea(res.get(0, 0));
            hasher.update(bytes);
            if (bytes.size() < static_cast<size_t>(kChunk)) break;
        }
        auto [high, low] = hasher.finish();
        figures.digest.add(high, low);
        ++figures.count;
    }
    return figures;
}

Figures figures_from_server(pg::Connection& conn, const std::vector<TableShape>& shapes,
                            Level level) {
    Figures figures;
    figures.level = level;
    for (const auto& shape : shapes_to_read(shapes, read_table_shapes(conn)))
        figures.tables[shape.table] = table_figures(conn, shape, level);
    if (level == Level::checksums) {
        figures.sequences = sequence_positions(conn);
        figures.large_objects = large_object_figures(conn);
    }
    return figures;
}

}  // namespace pgmigrate::verify
