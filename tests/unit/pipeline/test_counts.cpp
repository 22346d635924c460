// Row count comparison and the count caches.
#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/counts.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::pipeline;

TEST_CASE("count comparison: mismatches fail, estimates warn, delayed tables are skipped") {
    TableCounts src = {{{"public", "a"}, 10},
                       {{"public", "b"}, 5},
                       {{"public", "big"}, 100},
                       {{"public", "gone"}, 1}};
    TableCounts dst = {{{"public", "a"}, 10}, {{"public", "b"}, 4}, {{"public", "big"}, 0}};
    auto r = compare_counts(src, dst, {{"public", "big"}}, {});
    CHECK(r.failures == 2);  // b mismatch, gone missing
    CHECK(r.rows_verified == 10);
    CHECK_FALSE(r.ok());
    auto text = render_verify_report(r);
    CHECK(text.find("MISMATCH") != std::string::npos);
    CHECK(text.find("MISSING ON TARGET") != std::string::npos);
    CHECK(text.find("public.big") == std::string::npos);

    auto fast = compare_counts(src, dst, {{"public", "big"}}, {{"public", "b"}});
    CHECK(fast.failures == 1);
    CHECK(fast.warnings == 1);
}

TEST_CASE("count caches round-trip and reject foreign content") {
    TableCounts c = {{{"s", "t"}, 3}};
    auto doc = counts_to_json("db", "exact", c);
    CHECK(counts_from_json(doc, "db", "f") == c);
    CHECK_THROWS_WITH(counts_from_json(doc, "other", "f.json"), Catch::Contains("f.json"));
    doc["tables"][0]["rows"] = "many";
    CHECK_THROWS_AS(counts_from_json(doc, "db", "f"), pgmigrate::Error);
}
