#pragma once
// What verification compares: per table a row count and (at the checksums level) a digest of
// every row, the position of every sequence, and the large objects. The same type is filled
// from a pg_dump directory (source) or from a live server (target, or a fresh source snapshot).
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pipeline/config.hpp"
#include "pgmigrate/pipeline/table.hpp"
#include "pgmigrate/verify/row_digest.hpp"

namespace pgmigrate::verify {

using TableKey = pipeline::TableKey;
using Level = pipeline::VerifyLevel;

// A table as pg_dump copies it: the columns COPY carries (not dropped, not generated, in attnum
// order) and how each is normalised. oid is the table's oid on the server the shape was read
// from (0 when unknown); a dump's TOC names its TABLE DATA entries by that oid.
struct TableShape {
    TableKey table;
    std::uint32_t oid = 0;
    std::vector<std::string> columns;
    std::vector<ColumnKind> kinds;  // one per column
};

struct TableFigures {
    long long rows = 0;
    std::optional<Digest> digest;  // set at the checksums level
    bool operator==(const TableFigures&) const = default;
};

struct SequencePosition {
    long long last_value = 0;
    bool is_called = false;
    bool operator==(const SequencePosition&) const = default;
};

struct LargeObjectFigures {
    long long count = 0;
    Digest digest;  // sum of XXH3-128(oid as 4 little-endian bytes + content)
    bool operator==(const LargeObjectFigures&) const = default;
};

struct Figures {
    Level level = Level::counts;
    std::map<TableKey, TableFigures> tables;
    std::map<TableKey, SequencePosition> sequences;   // set at the checksums level
    std::optional<LargeObjectFigures> large_objects;  // set at the checksums level
};

// {"format": "pg-migrate-figures/1", "level": ..., "tables": [...], ...}
nlohmann::json figures_to_json(const Figures& figures);
// Throws pgmigrate::Error(local) naming `file` when the document is not a figures document.
Figures figures_from_json(const nlohmann::json& doc, const std::string& file);

// The hash of one large object, added into LargeObjectFigures::digest.
std::pair<std::uint64_t, std::uint64_t> large_object_hash(std::uint32_t oid,
                                                          std::string_view content);
// Streaming form of large_object_hash for objects read in pieces.
class LargeObjectHasher {
  public:
    explicit LargeObjectHasher(std::uint32_t oid);
    ~LargeObjectHasher();
    LargeObjectHasher(const LargeObjectHasher&) = delete;
    LargeObjectHasher& operator=(const LargeObjectHasher&) = delete;
    void update(std::string_view bytes);
    std::pair<std::uint64_t, std::uint64_t> finish();

  private:
    void* state_;
};

}  // namespace pgmigrate::verify
