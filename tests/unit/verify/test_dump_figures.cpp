// Figures read from a dump: data files in every compression, the list, setval lines.
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "pgmigrate/util/error.hpp"
#include "pgmigrate/verify/dump_figures.hpp"

using namespace pgmigrate::verify;
namespace fs = std::filesystem;

namespace {

struct ScratchDir {
    fs::path path;
    ScratchDir() {
        std::string templ = (fs::temp_directory_path() / "pgm-verify-unit-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~ScratchDir() { fs::remove_all(path); }
};

void write_file(const fs::path& file, const std::string& bytes) {
    std::ofstream out(file, std::ios::binary);
    out << bytes;
}

std::string gzip(const std::string& data) {
    uLongf size = compressBound(static_cast<uLong>(data.size())) + 64;
    std::string out(size, '\0');
    z_stream zs{};
    REQUIRE(deflateInit2(&zs, 5, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string lz4(const std::string& data) {
    std::string out(LZ4F_compressFrameBound(data.size(), nullptr), '\0');
    size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), nullptr);
    REQUIRE(!LZ4F_isError(n));
    out.resize(n);
    return out;
}

std::string zstd(const std::string& data) {
    std::string out(ZSTD_compressBound(data.size()), '\0');
    size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 5);
    REQUIRE(!ZSTD_isError(n));
    out.resize(n);
    return out;
}

// COPY text as pg_dump writes it: rows, "\." and two blank lines.
std::string copy_text(int rows) {
    std::string out;
    for (int i = 0; i < rows; ++i)
        out += std::to_string(i) + "\t" + std::string(static_cast<size_t>(i % 300), 'x') + "\t" +
               (i % 7 ? "0.1" : "NaN") + "\n";
    out += "\\.\n\n\n";
    return out;
}

TableShape shape() {
    return {{"public", "t"},
            0,
            {"id", "txt", "f"},
            {ColumnKind::text, ColumnKind::text, ColumnKind::float8}};
}

}  // namespace

TEST_CASE("dump data files read the same plain, gzip, lz4 and zstd, across buffer borders") {
    ScratchDir dir;
    std::string text = copy_text(5000);  // about 750 kB: many 64 kB reads
    write_file(dir.path / "1.dat", text);
    write_file(dir.path / "2.dat.gz", gzip(text));
    write_file(dir.path / "3.dat.lz4", lz4(text));
    write_file(dir.path / "4.dat.zst", zstd(text));
    auto plain = data_file_figures(dir.path / "1.dat", shape(), Level::checksums);
    CHECK(plain.rows == 5000);
    REQUIRE(plain.digest);
    for (const char* base : {"2.dat", "3.dat", "4.dat"}) {
        auto file = find_dump_file(dir.path, base);
        REQUIRE(file);
        CHECK(data_file_figures(*file, shape(), Level::checksums) == plain);
        auto counts = data_file_figures(*file, shape(), Level::counts);
        CHECK(counts.rows == 5000);
        CHECK(!counts.digest);
    }
    CHECK(!find_dump_file(dir.path, "9.dat"));

    // Every line comes back whole, including the trailing blank lines.
    DumpFileReader reader(*find_dump_file(dir.path, "4.dat"));
    std::string_view line;
    std::string joined;
    while (reader.next_line(line)) joined.append(line).push_back('\n');
    CHECK(joined == text);
}

TEST_CASE("an empty table's data file and a row that is an empty line") {
    ScratchDir dir;
    write_file(dir.path / "1.dat", "\\.\n\n\n");
    write_file(dir.path / "2.dat", "\n\n\\.\n\n\n");  // two rows of one empty text column
    TableShape one{{"public", "e"}, 0, {"v"}, {ColumnKind::text}};
    CHECK(data_file_figures(dir.path / "1.dat", one, Level::counts).rows == 0);
    CHECK(data_file_figures(dir.path / "2.dat", one, Level::counts).rows == 2);
    CHECK(data_file_figures(dir.path / "2.dat", one, Level::checksums).rows == 2);
}

TEST_CASE("a damaged compressed file is an error naming it, not a short count") {
    ScratchDir dir;
    std::string text = copy_text(2000);
    auto z = zstd(text);
    write_file(dir.path / "1.dat.zst", z.substr(0, z.size() / 2));
    auto l = lz4(text);
    write_file(dir.path / "2.dat.lz4", l.substr(0, l.size() / 2));
    std::string g = gzip(text);
    g[g.size() / 2] = static_cast<char>(g[g.size() / 2] ^ 0x55);
    write_file(dir.path / "3.dat.gz", g);
    for (const char* f : {"1.dat.zst", "2.dat.lz4", "3.dat.gz"}) {
        INFO(f);
        try {
            data_file_figures(dir.path / f, shape(), Level::counts);
            FAIL("no error");
        } catch (const pgmigrate::Error& e) {
            CHECK(std::string(e.what()).find(f) != std::string::npos);
        }
    }
}

TEST_CASE("pg_restore --list lines map TABLE DATA by oid, also with awkward names") {
    std::string listing =
        ";\n; Archive created at 2026-12-01\n;     dbname: d1\n;\n"
        "219; 1259 16403 TABLE public empty postgres\n"
        "220; 1259 16404 TABLE DATA x postgres\n"  // schema "DATA", table "x"
        "3365; 0 16403 TABLE DATA public empty postgres\n"
        "3363; 0 16391 TABLE DATA public we ird  \"name\" x postgres\n"
        "3364; 0 16400 TABLE DATA sch 1 t 2 postgres\n"
        "3377; 0 0 SEQUENCE SET public s1 postgres\n"
        "3369; 0 0 BLOBS - BLOBS \n"
        "3999; 0 17000 TABLE DATA public not_in_shapes postgres\n";
    auto toc = parse_toc_list(listing);
    REQUIRE(toc.size() == 8);
    CHECK(!toc[1].is_data("TABLE DATA"));
    auto full = toc;
    toc.erase(toc.begin() + 1);
    CHECK(toc[1].dump_id == 3365);
    CHECK(toc[1].catalog_oid == 16403);
    CHECK(toc[1].is_data("TABLE DATA"));
    CHECK(!toc[0].is_data("TABLE"));  // a TABLE entry is not data, whatever its names
    CHECK(toc[4].is_data("SEQUENCE SET"));

    std::vector<TableShape> shapes = {
        {{"public", "empty"}, 16403, {"x"}, {ColumnKind::text}},
        {{"public", "we ird\n \"name\" x"}, 16391, {"id"}, {ColumnKind::text}},
        {{"sch 1", "t 2"}, 16400, {"x"}, {ColumnKind::text}},
    };
    shapes.push_back({{"DATA", "x"}, 0, {"x"}, {ColumnKind::text}});  // its TABLE line only
    auto matched = match_table_data(full, shapes);
    REQUIRE(matched.size() == 3);
    std::map<std::string, int> ids;
    for (const auto& [s, id] : matched) ids[s->table.name] = id;
    CHECK(ids["empty"] == 3365);
    CHECK(ids["we ird\n \"name\" x"] == 3363);
    CHECK(ids["t 2"] == 3364);

    // Without oids the names decide; a split that fits two tables is refused, not guessed.
    for (auto& s : shapes) s.oid = 0;
    CHECK(match_table_data(full, shapes).size() == 3);
    shapes.push_back({{"sch", "1 t 2"}, 0, {"x"}, {ColumnKind::text}});
    CHECK_THROWS_AS(match_table_data(full, shapes), pgmigrate::Error);
}

TEST_CASE("setval statements of a dump give sequence positions, names unquoted") {
    std::string sql =
        "SET statement_timeout = 0;\n"
        "SELECT pg_catalog.setval('public.s1', 42, false);\n"
        "\n"
        "SELECT pg_catalog.setval('public.\"we ird\n \"\"name\"\" x_id_seq\"', 1, true);\n"
        "SELECT pg_catalog.setval('\"My \"\"Odd\"\" s\".\"it''s\"', -9223372036854775808, true);\n"
        "SELECT pg_catalog.setval(E'\"back\\\\slash\".s', 7, true);\n";
    auto seqs = parse_setval_statements(sql);
    REQUIRE(seqs.size() == 4);
    CHECK(seqs[{"public", "s1"}] == SequencePosition{42, false});
    CHECK(seqs[{"public", "we ird\n \"name\" x_id_seq"}] == SequencePosition{1, true});
    CHECK(seqs[{"My \"Odd\" s", "it's"}].last_value == std::numeric_limits<long long>::min());
    CHECK(seqs.count({"back\\slash", "s"}) == 1);
    CHECK(!parse_qualified_name("noschema"));
    CHECK(!parse_qualified_name("\"unterminated.x"));
}
