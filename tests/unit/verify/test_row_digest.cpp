// Row digests: float text compared by value, order-independent sums.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>

#include "digest_of.hpp"
#include "pgmigrate/verify/row_digest.hpp"

using namespace pgmigrate::verify;

TEST_CASE("float8 text is compared by value: pre-12 17-digit output equals 12+ shortest output") {
    CHECK(normalise_float8("0.1") == normalise_float8("0.10000000000000001"));
    CHECK(normalise_float8("1e+100") == normalise_float8("1.0000000000000000e+100"));
    CHECK(normalise_float8("-2.5") == normalise_float8("-2.50000000000000000"));
    // One unit in the last place differs.
    CHECK(normalise_float8("0.1") != normalise_float8("0.10000000000000002"));
    CHECK(normalise_float8("1") != normalise_float8("1.0000000000000002"));
}

TEST_CASE("float4 text is compared as float4, not as double") {
    CHECK(normalise_float4("0.1") == normalise_float4("0.100000001"));
    CHECK(normalise_float4("3.4028235e+38") == normalise_float4("3.40282347e+38"));
    CHECK(normalise_float4("0.1") != normalise_float4("0.100000009"));
    CHECK(normalise_float4("1") != normalise_float4("1.00000012"));
}

TEST_CASE("special floats: NaN is one value, -0 is not 0, infinities and subnormals keep apart") {
    CHECK(normalise_float8("NaN") == "NaN");
    CHECK(normalise_float8("nan") == normalise_float8("NaN"));
    CHECK(normalise_float8("-0") != normalise_float8("0"));
    CHECK(normalise_float8("-0") == normalise_float8("-0.0"));
    CHECK(normalise_float8("Infinity") != normalise_float8("-Infinity"));
    CHECK(normalise_float8("Infinity") == normalise_float8("inf"));
    CHECK(normalise_float8("Infinity") != normalise_float8("1.7976931348623157e+308"));
    // Smallest subnormals: shortest and 17-digit spellings.
    CHECK(normalise_float8("5e-324") == normalise_float8("4.9406564584124654e-324"));
    CHECK(normalise_float8("5e-324") != normalise_float8("1e-323"));
    CHECK(normalise_float8("5e-324") != normalise_float8("0"));
    CHECK(normalise_float4("1e-45") == normalise_float4("1.40129846e-45"));
    CHECK(normalise_float4("1e-45") != normalise_float4("3e-45"));
    CHECK(normalise_float4("-0") != normalise_float4("0"));
    // Text that is no number stays text and so differs from every number.
    CHECK(normalise_float8("abc") == "abc");
    CHECK(normalise_float8("1.5x") == "1.5x");
}

TEST_CASE("float arrays are normalised element by element, structure kept") {
    CHECK(normalise_float_array("{0.1,NaN,NULL}", ColumnKind::float8) ==
          normalise_float_array("{0.10000000000000001,NaN,NULL}", ColumnKind::float8));
    CHECK(normalise_float_array("{{1,2},{3,-0}}", ColumnKind::float8) !=
          normalise_float_array("{{1,2},{3,0}}", ColumnKind::float8));
    CHECK(normalise_float_array("[0:1]={1,2}", ColumnKind::float4) !=
          normalise_float_array("{1,2}", ColumnKind::float4));
    CHECK(normalise_float_array("{}", ColumnKind::float4) == "{}");
    CHECK(normalise_float_array("{0.1}", ColumnKind::float4) ==
          normalise_float_array("{0.100000001}", ColumnKind::float4));
}

TEST_CASE("row digests: order does not matter, duplicates count, one changed value is seen") {
    std::vector<ColumnKind> kinds = {ColumnKind::text, ColumnKind::float8, ColumnKind::text};
    std::vector<std::string> rows = {"1\t0.1\tx", "2\t\\N\ty", "3\tNaN\t\\N"};
    auto base = digest_of(kinds, rows);
    CHECK(digest_of(kinds, {rows[2], rows[0], rows[1]}) == base);
    CHECK(digest_of(kinds, {"1\t0.10000000000000001\tx", rows[1], rows[2]}) == base);
    CHECK(digest_of(kinds, {"1\t0.10000000000000002\tx", rows[1], rows[2]}) != base);
    CHECK(digest_of(kinds, {"1\t0.1\tX", rows[1], rows[2]}) != base);
    // A duplicated row is not cancelled out (a xor would be).
    CHECK(digest_of(kinds, {rows[0], rows[0]}) != digest_of(kinds, {}));
    CHECK(digest_of(kinds, {rows[0], rows[0], rows[1]}) != digest_of(kinds, {rows[1]}));
    CHECK(digest_of(kinds, {rows[0], rows[1], rows[1]}) !=
          digest_of(kinds, {rows[0], rows[0], rows[1]}));
    // NULL and the text "\N" escaped are different COPY fields.
    CHECK(digest_of({ColumnKind::text}, {"\\N"}) != digest_of({ColumnKind::text}, {"\\\\N"}));
    // Without float columns the line is hashed as it is.
    CHECK(digest_of({ColumnKind::text}, {"0.1"}) != digest_of({ColumnKind::text}, {"0.10"}));
}

TEST_CASE("digest sum carries between lanes and round-trips through hex") {
    Digest d;
    d.add(0, std::numeric_limits<std::uint64_t>::max());
    d.add(0, 1);
    CHECK(d.high == 1);
    CHECK(d.low == 0);
    d.add(std::numeric_limits<std::uint64_t>::max(), 5);
    CHECK(d.high == 0);  // mod 2^128
    CHECK(Digest::from_hex(d.hex()) == d);
    CHECK_THROWS(Digest::from_hex("xyz"));
    CHECK_THROWS(Digest::from_hex(std::string(32, 'g')));
}
