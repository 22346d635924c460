// A range type dumped from a server before 14 and from one of 14 or newer: the newer dump names
// the multirange type PostgreSQL 14 created with it, which is a note, not a difference.
#include <catch2/catch.hpp>

#include "pgmigrate/verify/schema_compare.hpp"

using namespace pgmigrate::verify;

namespace {
const char* kHeader =
    "--\n-- Name: floatrange; Type: TYPE; Schema: public; Owner: postgres\n--\n\n";
std::string range_dump(const std::string& body) {
    return std::string(kHeader) + "CREATE TYPE public.floatrange AS RANGE (\n" + body + ");\n";
}
}  // namespace

TEST_CASE(
    "a range type's multirange name is a note between a source before 14 and a newer target") {
    auto old_dump = range_dump("    subtype = double precision\n");
    auto new_dump = range_dump(
        "    subtype = double precision,\n"
        "    multirange_type_name = public.floatrange_multirange\n");
    auto diff = compare_schema_text(old_dump, new_dump, 10, 15);
    CHECK(diff.ok());
    REQUIRE(diff.notes.size() == 1);
    CHECK(diff.notes[0].find("multirange") != std::string::npos);
    // Between two servers of 14 or newer the name is compared like everything else.
    auto renamed = range_dump(
        "    subtype = double precision,\n"
        "    multirange_type_name = public.other_multirange\n");
    CHECK_FALSE(compare_schema_text(new_dump, renamed, 15, 15).ok());
    // Another subtype is a difference across the line too.
    auto other_subtype = range_dump(
        "    subtype = real,\n"
        "    multirange_type_name = public.floatrange_multirange\n");
    CHECK_FALSE(compare_schema_text(old_dump, other_subtype, 10, 15).ok());
}
