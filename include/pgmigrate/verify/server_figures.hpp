#pragma once
// Figures read from a live server: the table shapes from the catalog, and per table its count
// (counts level: count(*)) or the digest of COPY (columns) TO STDOUT (checksums level), plus
// sequence positions and large objects. Every function works on the connection it is given:
// run them inside a REPEATABLE READ transaction (an imported snapshot) for a consistent picture.
#include <vector>

#include "pgmigrate/verify/figures.hpp"

namespace pgmigrate::pg {
class Connection;
}

namespace pgmigrate::verify {

// The shape of every table whose data pg_dump copies, from the connection's catalog, sorted by
// table.
std::vector<TableShape> read_table_shapes(pg::Connection& conn);

// What to read on a server to compare with `expected` (the source's shapes): the expected shape
// where the server's table has the same columns, in whatever order (they are read in the
// source's), the server's own shape where the columns differ (its digest then differs, as it
// must), nothing for a table the server does not have.
std::vector<TableShape> shapes_to_read(const std::vector<TableShape>& expected,
                                       const std::vector<TableShape>& on_server);

// One table's figures. Pins the session settings first (session.hpp). Throws pg::PgError (e.g.
// SQLSTATE 42P01 when the table does not exist: use shapes_to_read to leave such tables out).
TableFigures table_figures(pg::Connection& conn, const TableShape& shape, Level level);

// (schema, name) -> position of every sequence pg_dump dumps.
std::map<TableKey, SequencePosition> sequence_positions(pg::Connection& conn);
// Count and digest of every large object.
LargeObjectFigures large_object_figures(pg::Connection& conn);

// Everything on one connection: shapes_to_read(shapes, this server's shapes), each table's
// figures, and at the checksums level the sequences and large objects.
Figures figures_from_server(pg::Connection& conn, const std::vector<TableShape>& shapes,
                            Level level);

// A column list for COPY: ("a", "b c") or "" for a table without columns.
std::string copy_column_list(const TableShape& shape);

}  // namespace pgmigrate::verify
