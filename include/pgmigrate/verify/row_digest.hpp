#pragma once
// The order-independent digest of a table's rows as COPY text: each row line is normalised,
// hashed with XXH3-128 and the hashes are added (mod 2^128), so row order does not matter and
// a duplicated row counts twice. Floats (also inside arrays, composites, ranges and the
// geometric types) are compared by value, everything else by text (column_kind.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pgmigrate/verify/column_kind.hpp"

namespace pgmigrate::verify {

// A 128-bit sum of row hashes.
struct Digest {
    std::uint64_t high = 0, low = 0;
    auto operator<=>(const Digest&) const = default;
    // 32 lowercase hex digits, high lane first.
    std::string hex() const;
    // Throws std::invalid_argument unless text is 32 hex digits.
    static Digest from_hex(std::string_view text);
    void add(std::uint64_t hash_high, std::uint64_t hash_low);
};

// The canonical form of one float field as pg_dump or COPY printed it ("0.1",
// "0.10000000000000001", "NaN", "-Infinity", "-0", "1e-45"): the value's bits, one NaN for all
// NaNs, -0 kept apart from 0. Text that is not a number is returned unchanged (it then differs
// from any number, which is what a comparison must say).
std::string normalise_float4(std::string_view text);
std::string normalise_float8(std::string_view text);
// An array literal of floats ("{0.1,NaN,NULL}", "{{1,2},{3,4}}", "[0:1]={1,2}") with every
// element normalised as above and the structure kept.
std::string normalise_float_array(std::string_view text, const ColumnKind& element_kind);
// A geometric value ("(0.1,2)", "<(1,2),3>", "[(0,0),(1,1)]") with every number as a float8.
std::string normalise_geometric(std::string_view text);
// One COPY field (not \N) of `kind` in canonical form: floats by value wherever they are,
// every other value as its COPY text; a literal that is not of its kind is returned unchanged.
std::string normalise_field(std::string_view text, const ColumnKind& kind);

// Feeds COPY text lines (without the newline) of one table and accumulates count and digest.
class RowDigester {
  public:
    explicit RowDigester(std::vector<ColumnKind> columns);
    void add_line(std::string_view line);
    long long rows() const { return rows_; }
    const Digest& digest() const { return digest_; }

  private:
    // The line as it is hashed: float fields replaced by their canonical form.
    std::string_view normalised(std::string_view line);

    std::vector<ColumnKind> columns_;
    bool has_floats_ = false;
    std::string buffer_;
    long long rows_ = 0;
    Digest digest_;
};

// XXH3-128 of bytes, as (high, low).
std::pair<std::uint64_t, std::uint64_t> hash128(std::string_view bytes);

}  // namespace pgmigrate::verify
