#include "pgmigrate/verify/dump_figures.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <lz4frame.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <regex>
#include <thread>

#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/parallel.hpp"
#include "pgmigrate/util/text.hpp"

namespace pgmigrate::verify {
namespace {

constexpr size_t kReadSize = 1 << 16;

[[noreturn]] void read_error(const fs::path& file, const std::string& why) {
    throw Error(ExitCode::local, fmt::format("cannot read dump file {}: {}", file.string(), why));
}

// A file descriptor that closes itself.
class InputFile {
  public:
    explicit InputFile(const fs::path& file) : file_(file) {
        fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0) read_error(file, std::strerror(errno));
    }
    ~InputFile() { ::close(fd_); }
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;
    size_t read(char* out, size_t n) {
        while (true) {
            ssize_t got = ::read(fd_, out, n);
            if (got >= 0) return static_cast<size_t>(got);
            if (errno != EINTR) read_error(file_, std::strerror(errno));
        }
    }

  private:
    fs::path file_;
    int fd_ = -1;
};

}  // namespace

class DumpFileReader::Source {
  public:
    virtual ~Source() = default;
    // Up to n decompressed bytes; 0 at the end of the data.
    virtual size_t read(char* out, size_t n) = 0;
};

namespace {

class PlainSource : public DumpFileReader::Source {
  public:
    explicit PlainSource(const fs::path& file) : in_(file) {}
    size_t read(char* out, size_t n) override { return in_.read(out, n); }

  private:
    InputFile in_;
};

class GzipSource : public DumpFileReader::Source {
  public:
    explicit GzipSource(const fs::path& file) : file_(file) {
        gz_ = gzopen(file.c_str(), "rb");
        if (!gz_) read_error(file, errno ? std::strerror(errno) : "cannot open gzip stream");
    }
    ~GzipSource() override { gzclose(gz_); }
    size_t read(char* out, size_t n) override {
        int got = gzread(gz_, out, static_cast<unsigned>(n));
        if (got < 0) {
            int code = 0;
            read_error(file_, fmt::format("gzip: {}", gzerror(gz_, &code)));
        }
        return static_cast<size_t>(got);
    }

  private:
    fs::path file_;
    gzFile gz_;
};

// Input bytes read ahead from a compressed file.
struct InputWindow {
    std::vector<char> bytes = std::vector<char>(kReadSize);
    size_t pos = 0, len = 0;
    bool eof = false;
    bool refill(InputFile& in) {
        if (pos < len) return true;
        if (eof) return false;
        len = in.read(bytes.data(), bytes.size());
        pos = 0;
        eof = len == 0;
        return !eof;
    }
};

class Lz4Source : public DumpFileReader::Source {
  public:
    explicit Lz4Source(const fs::path& file) : file_(file), in_(file) {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx_, LZ4F_VERSION)))
            read_error(file, "lz4: cannot create a decompression context");
    }
    ~Lz4Source() override { LZ4F_freeDecompressionContext(ctx_); }
    size_t read(char* out, size_t n) override {
        while (true) {
            if (!window_.refill(in_)) {
                if (!frame_done_) read_error(file_, "lz4: the file ends inside a frame");
                return 0;
            }
            size_t produced = n, consumed = window_.len - window_.pos;
            size_t hint = LZ4F_decompress(ctx_, out, &produced, window_.bytes.data() + window_.pos,
                                          &consumed, nullptr);
            if (LZ4F_isError(hint))
                read_error(file_, fmt::format("lz4: {}", LZ4F_getErrorName(hint)));
            window_.pos += consumed;
            frame_done_ = hint == 0;
            if (produced > 0) return produced;
        }
    }

  private:
    fs::path file_;
    InputFile in_;
    InputWindow window_;
    LZ4F_dctx* ctx_ = nullptr;
    bool frame_done_ = true;
};

class ZstdSource : public DumpFileReader::Source {
  public:
    explicit ZstdSource(const fs::path& file) : file_(file), in_(file), ctx_(ZSTD_createDCtx()) {
        if (!ctx_) read_error(file, "zstd: cannot create a decompression context");
    }
    ~ZstdSource() override { ZSTD_freeDCtx(ctx_); }
    size_t read(char* out, size_t n) override {
        while (true) {
            // Decompressed bytes may still be buffered in the context with no input left.
            ZSTD_outBuffer output{out, n, 0};
            if (window_.pos < window_.len || !frame_done_) {
                ZSTD_inBuffer input{window_.bytes.data(), window_.len, window_.pos};
                size_t hint = ZSTD_decompressStream(ctx_, &output, &input);
                if (ZSTD_isError(hint))
                    read_error(file_, fmt::format("zstd: {}", ZSTD_getErrorName(hint)));
                window_.pos = input.pos;
                frame_done_ = hint == 0;
                if (output.pos > 0) return output.pos;
            }
            if (window_.pos >= window_.len && !window_.refill(in_)) {
                if (!frame_done_) read_error(file_, "zstd: the file ends inside a frame");
                return 0;
            }
        }
    }

  private:
    fs::path file_;
    InputFile in_;
    InputWindow window_;
    ZSTD_DCtx* ctx_;
    bool frame_done_ = true;
};

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// pg_restore --list shows names with newlines as spaces (and so do we, to match by name).
std::string as_listed(std::string_view name) {
    std::string out(name);
    for (auto& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return out;
}

// The TOC of a directory-format dump read from its toc.dat, as pg_restore --list would print it
// (pg_backup_archiver.c: ReadHead, ReadToc; pg_backup_directory.c: _ReadExtraToc). Archive
// versions 1.12 to 1.16 (pg_dump 10 to 18); nullopt for any other version or anything that
// does not parse, and the caller asks pg_restore --list instead.
class TocReader {
  public:
    explicit TocReader(std::string bytes) : bytes_(std::move(bytes)) {}

    std::optional<std::vector<TocEntry>> entries() {
        if (bytes_.compare(0, 5, "PGDMP") != 0) return std::nullopt;
        pos_ = 5;
        int vmaj = byte(), vmin = byte();
        byte();  // revision
        int_size_ = byte();
        int off_size = byte(), format = byte();
        if (!ok_ || vmaj != 1 || vmin < 12 || vmin > 16 || int_size_ < 1 || int_size_ > 8 ||
            off_size < 1 || off_size > 8 || format != 3)  // a directory's toc.dat says archTar
            return std::nullopt;
        if (vmin >= 15)
            byte();  // compression algorithm
        else
            integer();                          // compression level
        for (int i = 0; i < 7; ++i) integer();  // creation time
        for (int i = 0; i < 3; ++i) string();   // database name, server and pg_dump versions
        long long count = integer();
        if (!ok_ || count < 0 || count > 100000000) return std::nullopt;
        std::vector<TocEntry> out;
        for (long long n = 0; n < count && ok_; ++n) {
            TocEntry e;
            long long id = integer();
            integer();  // had a data dumper
            auto tableoid = string(), oid = string(), tag = string(), desc = string();
            integer();                             // section
            for (int i = 0; i < 3; ++i) string();  // definition, drop and copy statements
            auto schema = string();
            string();                   // tablespace
            if (vmin >= 14) string();   // table access method
            if (vmin >= 16) integer();  // relkind
            auto owner = string();
            string();                  // "false" (WITH OIDS)
            while (ok_ && string()) {  // dependencies, up to a NULL
            }
            string();  // the data file's name
            if (!ok_ || id <= 0 || id > INT32_MAX || !desc || desc->empty()) return std::nullopt;
            auto number = [](const std::optional<std::string>& text, std::uint32_t& into) {
                if (!text) return false;
                auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), into);
                return ec == std::errc() && end == text->data() + text->size();
            };
            e.dump_id = static_cast<int>(id);
            if (!number(tableoid, e.catalog_tableoid) || !number(oid, e.catalog_oid))
                return std::nullopt;
            e.rest = fmt::format("{} {} {} {}", *desc, listed_or_hyphen(schema),
                                 as_listed(tag.value_or("")), as_listed(owner.value_or("")));
            e.line =
                fmt::format("{}; {} {} {}", e.dump_id, e.catalog_tableoid, e.catalog_oid, e.rest);
            out.push_back(std::move(e));
        }
        if (!ok_) return std::nullopt;
        return out;
    }

  private:
    // pg_restore --list prints an empty schema as "-", an empty tag or owner as nothing.
    static std::string listed_or_hyphen(const std::optional<std::string>& text) {
        return text && !text->empty() ? as_listed(*text) : "-";
    }
    int byte() {
        if (pos_ >= bytes_.size()) {
            ok_ = false;
            return 0;
        }
        return static_cast<unsigned char>(bytes_[pos_++]);
    }
    // A sign byte, then int_size_ bytes, least significant first.
    long long integer() {
        bool negative = byte() != 0;
        unsigned long long value = 0;
        for (int i = 0; i < int_size_; ++i)
            value |= static_cast<unsigned long long>(byte()) << (8 * i);
        if (value > static_cast<unsigned long long>(INT64_MAX)) ok_ = false;
        auto v = static_cast<long long>(value);
        return negative ? -v : v;
    }
    // A length (-1: NULL), then that many bytes.
    std::optional<std::string> string_or_null() {
        long long len = integer();
        if (!ok_ || len < 0) return std::nullopt;
        if (static_cast<unsigned long long>(len) > bytes_.size() - pos_) {
            ok_ = false;
            return std::nullopt;
        }
        std::string out = bytes_.substr(pos_, static_cast<size_t>(len));
        pos_ += static_cast<size_t>(len);
        return out;
    }
    std::optional<std::string> string() { return string_or_null(); }

    std::string bytes_;
    size_t pos_ = 0;
    int int_size_ = 4;
    bool ok_ = true;
};

process::Outcome run_pg_restore(const fs::path& pg_restore, const ChildEnvironment& environment,
                                std::vector<std::string> args, const fs::path& dump_dir) {
    process::Command cmd;
    cmd.program = pg_restore.string();
    cmd.args = std::move(args);
    cmd.environment = environment;
    cmd.label = "pg_restore [" + dump_dir.filename().string() + "]";
    return process::run_checked(
        cmd, [](const std::string&) {}, ExitCode::local);
}

// A temporary file removed when this goes away.
class TemporaryFile {
  public:
    explicit TemporaryFile(const std::string& content) {
        std::string templ = (fs::temp_directory_path() / "pg-migrate-list-XXXXXX").string();
        int fd = ::mkstemp(templ.data());
        if (fd < 0)
            throw Error(ExitCode::local,
                        fmt::format("cannot create a temporary file: {}", std::strerror(errno)));
        path_ = templ;
        size_t done = 0;
        while (done < content.size()) {
            ssize_t n = ::write(fd, content.data() + done, content.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) {
                ::close(fd);
                throw Error(ExitCode::local, fmt::format("cannot write {}: {}", path_.string(),
                                                         std::strerror(errno)));
            }
            done += static_cast<size_t>(n);
        }
        ::close(fd);
    }
    ~TemporaryFile() {
        std::error_code ec;
        fs::remove(path_, ec);
    }
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

LargeObjectFigures dump_large_objects(const fs::path& dump_dir) {
    LargeObjectFigures figures;
    // pg_dump up to 16 writes one blobs.toc; 17 and newer one blobs_<dumpId>.toc per batch.
    for (const auto& entry : fs::directory_iterator(dump_dir)) {
        std::string name = entry.path().filename().string();
        if (name.rfind("blobs", 0) != 0 || !ends_with(name, ".toc")) continue;
        std::ifstream toc(entry.path());
        std::string line;
        while (std::getline(toc, line)) {
            auto space = line.find(' ');
            if (space == std::string::npos) continue;
            std::uint32_t oid = 0;
            auto [end, ec] = std::from_chars(line.data(), line.data() + space, oid);
            if (ec != std::errc() || end != line.data() + space)
                read_error(entry.path(), "a line that is not \"<oid> <file>\"");
            std::string base = util::trim(line.substr(space + 1));
            auto file = find_dump_file(dump_dir, base);
            if (!file) read_error(dump_dir / base, "the large object's data file is missing");
            cancel::throw_if_requested();
            LargeObjectHasher hasher(oid);
            DumpFileReader reader(*file);
            hasher.update(reader.read_all());
            auto [high, low] = hasher.finish();
            figures.digest.add(high, low);
            ++figures.count;
        }
    }
    return figures;
}

}  // namespace

DumpFileReader::DumpFileReader(const fs::path& file) : file_(file) {
    std::string name = file.filename().string();
    if (ends_with(name, ".gz"))
        source_ = std::make_unique<GzipSource>(file);
    else if (ends_with(name, ".lz4"))
        source_ = std::make_unique<Lz4Source>(file);
    else if (ends_with(name, ".zst"))
        source_ = std::make_unique<ZstdSource>(file);
    else
        source_ = std::make_unique<PlainSource>(file);
}

DumpFileReader::~DumpFileReader() = default;

bool DumpFileReader::fill() {
    if (eof_) return false;
    if (pos_ > 0) {
        buffer_.erase(0, pos_);
        pos_ = 0;
    }
    size_t old = buffer_.size();
    buffer_.resize(old + kReadSize);
    size_t got = source_->read(buffer_.data() + old, kReadSize);
    buffer_.resize(old + got);
    eof_ = got == 0;
    return !eof_;
}

bool DumpFileReader::next_line(std::string_view& line) {
    size_t search_from = pos_;
    while (true) {
        size_t nl = buffer_.find('\n', search_from);
        if (nl != std::string::npos) {
            line = std::string_view(buffer_).substr(pos_, nl - pos_);
            pos_ = nl + 1;
            return true;
        }
        size_t scanned = buffer_.size() - pos_;
        if (!fill()) {
            if (pos_ >= buffer_.size()) return false;
            line = std::string_view(buffer_).substr(pos_);
            pos_ = buffer_.size();
            return true;
        }
        search_from = pos_ + scanned;
    }
}

std::string DumpFileReader::read_all() {
    while (fill()) {
    }
    std::string out = buffer_.substr(pos_);
    pos_ = buffer_.size();
    return out;
}

std::optional<fs::path> find_dump_file(const fs::path& dir, const std::string& base) {
    for (const char* suffix : {"", ".gz", ".lz4", ".zst"}) {
        fs::path candidate = dir / (base + suffix);
        std::error_code ec;
        if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    return std::nullopt;
}

bool TocEntry::is_data(std::string_view desc) const {
    return catalog_tableoid == 0 && rest.size() > desc.size() &&
           rest.compare(0, desc.size(), desc) == 0 && rest[desc.size()] == ' ';
}

std::vector<TocEntry> parse_toc_list(std::string_view list_output) {
    static const std::regex line_re(R"(^(\d+); (\d+) (\d+) (.*)$)");
    std::vector<TocEntry> entries;
    for (const auto& line : util::split_lines(list_output)) {
        if (line.empty() || line[0] == ';') continue;
        std::smatch m;
        if (!std::regex_match(line, m, line_re)) continue;
        TocEntry e;
        e.dump_id = std::stoi(m[1].str());
        e.catalog_tableoid = static_cast<std::uint32_t>(std::stoul(m[2].str()));
        e.catalog_oid = static_cast<std::uint32_t>(std::stoul(m[3].str()));
        e.rest = m[4].str();
        e.line = line;
        entries.push_back(std::move(e));
    }
    return entries;
}

std::vector<std::pair<const TableShape*, int>> match_table_data(
    const std::vector<TocEntry>& toc, const std::vector<TableShape>& shapes) {
    std::map<std::uint32_t, const TableShape*> by_oid;
    for (const auto& s : shapes)
        if (s.oid != 0) by_oid[s.oid] = &s;
    std::vector<std::pair<const TableShape*, int>> out;
    for (const auto& e : toc) {
        if (!e.is_data("TABLE DATA")) continue;
        if (auto it = by_oid.find(e.catalog_oid); it != by_oid.end()) {
            out.emplace_back(it->second, e.dump_id);
            continue;
        }
        // Shapes without an oid: "TABLE DATA <schema> <table> <owner>".
        const TableShape* found = nullptr;
        for (const auto& s : shapes) {
            if (s.oid != 0) continue;
            std::string prefix =
                "TABLE DATA " + as_listed(s.table.schema) + " " + as_listed(s.table.name) + " ";
            if (e.rest.compare(0, prefix.size(), prefix) != 0) continue;
            if (found)
                throw Error(ExitCode::local,
                            fmt::format("dump TOC entry \"{}\" matches both {} and {}", e.line,
                                        found->table.display(), s.table.display()));
            found = &s;
        }
        if (found) out.emplace_back(found, e.dump_id);
    }
    return out;
}

std::optional<TableKey> parse_qualified_name(std::string_view text) {
    size_t pos = 0;
    auto schema = pg::read_identifier(text, pos);
    if (!schema || pos >= text.size() || text[pos] != '.') return std::nullopt;
    ++pos;
    auto name = pg::read_identifier(text, pos);
    if (!name || pos != text.size()) return std::nullopt;
    return TableKey{*schema, *name};
}

std::map<TableKey, SequencePosition> parse_setval_statements(std::string_view sql) {
    std::map<TableKey, SequencePosition> out;
    constexpr std::string_view kCall = "SELECT pg_catalog.setval(";
    size_t at = 0;
    while ((at = sql.find(kCall, at)) != std::string_view::npos) {
        size_t pos = at + kCall.size();
        at = pos;
        bool escaped = pos < sql.size() && sql[pos] == 'E';
        if (escaped) ++pos;
        if (pos >= sql.size() || sql[pos] != '\'') continue;
        ++pos;
        std::string literal;
        bool closed = false;
        while (pos < sql.size()) {
            char c = sql[pos];
            if (c == '\'') {
                if (pos + 1 < sql.size() && sql[pos + 1] == '\'') {
                    literal.push_back('\'');
                    pos += 2;
                    continue;
                }
                ++pos;
                closed = true;
                break;
            }
            if (escaped && c == '\\' && pos + 1 < sql.size()) {
                literal.push_back(sql[pos + 1]);
                pos += 2;
                continue;
            }
            literal.push_back(c);
            ++pos;
        }
        if (!closed) break;
        static const std::regex tail_re(R"(^, (-?\d+), (true|false)\);)");
        std::string tail(sql.substr(pos, 64));
        std::smatch m;
        if (!std::regex_search(tail, m, tail_re)) continue;
        auto key = parse_qualified_name(literal);
        if (!key) continue;
        out[*key] = {std::stoll(m[1].str()), m[2].str() == "true"};
        at = pos;
    }
    return out;
}

TableFigures data_file_figures(const fs::path& file, const TableShape& shape, Level level) {
    DumpFileReader reader(file);
    std::string_view line;
    long long lines = 0;
    std::optional<RowDigester> digester;
    if (level == Level::checksums) digester.emplace(shape.kinds);
    while (reader.next_line(line)) {
        if (line == "\\.") break;  // end of the COPY data; pg_dump adds blank lines after it
        if ((++lines & 0xffff) == 0) cancel::throw_if_requested();
        if (digester) digester->add_line(line);
    }
    if (digester) return {digester->rows(), digester->digest()};
    return {lines, std::nullopt};
}

std::optional<std::vector<TocEntry>> read_toc_file(const fs::path& dump_dir) {
    std::ifstream in(dump_dir / "toc.dat", std::ios::binary);
    if (!in) return std::nullopt;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return TocReader(std::move(bytes)).entries();
}

Figures figures_from_dump(const fs::path& dump_dir, const fs::path& pg_restore,
                          const ChildEnvironment& environment,
                          const std::vector<TableShape>& shapes, Level level, int parallel) {
    // The TOC from toc.dat itself (no pg_restore child per database); pg_restore --list when
    // the file is of an archive version this reader does not know.
    auto native = read_toc_file(dump_dir);
    std::vector<TocEntry> toc;
    if (native) {
        toc = std::move(*native);
    } else {
        auto listing =
            run_pg_restore(pg_restore, environment, {"--list", dump_dir.string()}, dump_dir);
        toc = parse_toc_list(listing.stdout_text);
    }
    Figures figures;
    figures.level = level;
    auto work = match_table_data(toc, shapes);
    std::mutex mutex;
    util::parallel_for(work.size(), static_cast<size_t>(std::max(parallel, 1)), [&](size_t i) {
        const auto& [shape, dump_id] = work[i];
        std::string base = std::to_string(dump_id) + ".dat";
        auto file = find_dump_file(dump_dir, base);
        if (!file)
            read_error(dump_dir / base,
                       fmt::format("the data file of table {} is missing", shape->table.display()));
        auto table = data_file_figures(*file, *shape, level);
        std::lock_guard lock(mutex);
        figures.tables[shape->table] = table;
    });
    if (level != Level::checksums) return figures;

    std::string sequence_list;
    for (const auto& e : toc)
        if (e.is_data("SEQUENCE SET")) sequence_list += e.line + "\n";
    if (!sequence_list.empty()) {
        TemporaryFile list(sequence_list);
        auto sql = run_pg_restore(
            pg_restore, environment,
            {"--file=-", "--use-list=" + list.path().string(), dump_dir.string()}, dump_dir);
        figures.sequences = parse_setval_statements(sql.stdout_text);
    }
    figures.large_objects = dump_large_objects(dump_dir);
    return figures;
}

}  // namespace pgmigrate::verify
