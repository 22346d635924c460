// Comparing source and target figures.
#include <catch2/catch.hpp>
#include <map>

#include "pgmigrate/verify/compare.hpp"

using namespace pgmigrate::verify;

TEST_CASE("compare_figures names each kind of difference and honours skip") {
    Figures src, dst;
    src.level = dst.level = Level::checksums;
    Digest a{1, 2}, b{1, 3};
    src.tables[{"public", "same"}] = {2, a};
    dst.tables[{"public", "same"}] = {2, a};
    src.tables[{"public", "changed"}] = {2, a};
    dst.tables[{"public", "changed"}] = {2, b};
    src.tables[{"public", "short"}] = {2, a};
    dst.tables[{"public", "short"}] = {1, a};
    src.tables[{"public", "gone"}] = {2, a};
    src.tables[{"public", "delayed"}] = {5, a};
    dst.tables[{"public", "extra"}] = {1, a};
    src.sequences[{"public", "s"}] = {10, true};
    dst.sequences[{"public", "s"}] = {11, true};
    src.large_objects = dst.large_objects = LargeObjectFigures{1, a};
    auto c = compare_figures(src, dst, {{"public", "delayed"}});
    CHECK(c.failures == 4);
    CHECK(c.rows_verified == 2);
    std::map<std::string, Status> by_name;
    for (const auto& t : c.tables) by_name[t.table.name] = t.status;
    CHECK(by_name.size() == 4);
    CHECK(by_name["same"] == Status::ok);
    CHECK(by_name["changed"] == Status::checksum_mismatch);
    CHECK(by_name["short"] == Status::count_mismatch);
    CHECK(by_name["gone"] == Status::missing_on_target);
    auto text = render_comparison(c);
    CHECK(text.find("CHECKSUM MISMATCH") != std::string::npos);
    CHECK(text.find("sequence public.s") != std::string::npos);

    // A counts-level side turns the comparison into counts: digests are not looked at.
    dst.level = Level::counts;
    auto counts = compare_figures(src, dst, {});
    CHECK(counts.level == Level::counts);
    CHECK(counts.sequences.empty());
}
