// Figures (counts, digests, sequence positions) as JSON.
#include <catch2/catch.hpp>

#include "digest_of.hpp"
#include "pgmigrate/util/error.hpp"
#include "pgmigrate/verify/figures.hpp"
#include "pgmigrate/verify/row_digest.hpp"

using namespace pgmigrate::verify;

TEST_CASE("figures survive JSON and a foreign document is refused by file name") {
    Figures f;
    f.level = Level::checksums;
    f.tables[{"public", "t \"1\"\n"}] = {3, digest_of({ColumnKind::text}, {"a"})};
    f.tables[{"s", "empty"}] = {0, Digest{}};
    f.sequences[{"public", "s1"}] = {42, false};
    f.large_objects = LargeObjectFigures{2, Digest{7, 9}};
    auto back = figures_from_json(figures_to_json(f), "x.json");
    CHECK(back.level == Level::checksums);
    CHECK(back.tables == f.tables);
    CHECK(back.sequences == f.sequences);
    CHECK(back.large_objects == f.large_objects);
    try {
        figures_from_json(nlohmann::json{{"database", "x"}, {"tables", nlohmann::json::array()}},
                          "/state/x.json");
        FAIL("accepted a counts document");
    } catch (const pgmigrate::Error& e) {
        CHECK(std::string(e.what()).find("/state/x.json") != std::string::npos);
    }
}
