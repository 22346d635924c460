#pragma once
// Source-side figures from what pg_dump wrote (directory format): the source is read once, by
// pg_dump, and the old server does no extra work. The TOC (`pg_restore --list`) maps each TABLE
// DATA entry to its table by the table's oid; the data file <dumpId>.dat[.gz|.lz4|.zst] holds
// COPY text, one row per line, ended by a "\." line. Sequence positions come from the dump's
// SEQUENCE SET entries, large objects from its blob files.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pgmigrate/verify/figures.hpp"

namespace pgmigrate::verify {

namespace fs = std::filesystem;
using ChildEnvironment = std::vector<std::pair<std::string, std::string>>;

// Reads a dump data file line by line, decompressing by its suffix: none, .gz (zlib), .lz4
// (LZ4 frame) or .zst (zstd). Throws pgmigrate::Error(local) naming the file on a read or
// decompression error.
class DumpFileReader {
  public:
    explicit DumpFileReader(const fs::path& file);
    ~DumpFileReader();
    DumpFileReader(const DumpFileReader&) = delete;
    DumpFileReader& operator=(const DumpFileReader&) = delete;

    // The next line without its newline (valid until the next call); false at the end.
    bool next_line(std::string_view& line);
    // The rest of the file (for blob files).
    std::string read_all();

    class Source;

  private:
    bool fill();
    fs::path file_;
    std::unique_ptr<Source> source_;
    std::string buffer_;
    size_t pos_ = 0;
    bool eof_ = false;
};

// `base` ("3361.dat", "blob_16407.dat") with the compression suffix it has in dir; nullopt when
// no such file exists.
std::optional<fs::path> find_dump_file(const fs::path& dir, const std::string& base);

// One line of `pg_restore --list`: "3345; 0 16390 TABLE DATA public t1 owner". The catalog id
// is (tableoid, oid): for TABLE DATA (0, the table's oid), for SEQUENCE SET (0, 0); rest is
// "TABLE DATA public t1 owner" (names are not quoted and newlines in them are shown as spaces,
// so rest alone is ambiguous).
struct TocEntry {
    int dump_id = 0;
    std::uint32_t catalog_tableoid = 0;
    std::uint32_t catalog_oid = 0;
    std::string rest;
    std::string line;
    // A data entry (catalog tableoid 0) whose rest starts with desc and a space.
    bool is_data(std::string_view desc) const;
};
std::vector<TocEntry> parse_toc_list(std::string_view list_output);
// The same entries read from a directory dump's toc.dat (archive versions 1.12-1.16, pg_dump
// 10-18), lines as pg_restore --list prints them; also the entries --list leaves out (ENCODING,
// STDSTRINGS, SEARCHPATH, DATABASE). nullopt when the file is missing, of another version or
// does not parse.
std::optional<std::vector<TocEntry>> read_toc_file(const fs::path& dump_dir);

// The TABLE DATA entry of each shape: by oid when the shape has one, else by the names (an
// ambiguous name match is an error). Entries of tables not in shapes are left out.
std::vector<std::pair<const TableShape*, int>> match_table_data(
    const std::vector<TocEntry>& toc, const std::vector<TableShape>& shapes);

// Every "SELECT pg_catalog.setval('<qualified name>', N, true|false);" in SQL text.
std::map<TableKey, SequencePosition> parse_setval_statements(std::string_view sql);
// "public.s1", "\"My \"\"Odd\"\" s\".\"x y\"" -> schema and name.
std::optional<TableKey> parse_qualified_name(std::string_view text);

// The figures of one table data file: rows (counts level: lines only) and digest.
TableFigures data_file_figures(const fs::path& file, const TableShape& shape, Level level);

// The figures of the tables in `shapes` that the dump holds data for, and at the checksums
// level its sequence positions and large objects. pg_restore is run (with `environment` added
// to its own) to list the TOC and print the SEQUENCE SET entries; it needs no server.
// Throws pgmigrate::Error(local) when the dump cannot be read. Up to `parallel` data files are
// read at once (each by its own thread).
Figures figures_from_dump(const fs::path& dump_dir, const fs::path& pg_restore,
                          const ChildEnvironment& environment,
                          const std::vector<TableShape>& shapes, Level level, int parallel = 1);

}  // namespace pgmigrate::verify
