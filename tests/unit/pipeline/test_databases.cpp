#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/databases.hpp"

using namespace pgmigrate::pipeline;

TEST_CASE("discovery decides every database: templates, datallowconn, filters, postgres") {
    std::vector<DatabaseRow> rows = {
        {"big", 900, false, true},    {"template0", 7, true, false},  {"template1", 8, true, true},
        {"postgres", 8, false, true}, {"tmpl_custom", 9, true, true}, {"locked", 10, false, false},
        {"app_old", 11, false, true}, {"small", 5, false, true},
    };
    auto dbs = decide_databases(rows, DatabaseFilter({}, {"app_old"}));
    REQUIRE(dbs.size() == rows.size());
    std::vector<std::string> order;
    for (const auto& d : dbs) order.push_back(d.name);
    CHECK(order == std::vector<std::string>{"small", "template0", "postgres", "template1",
                                            "tmpl_custom", "locked", "app_old", "big"});
    auto by_name = [&](const std::string& n) {
        for (const auto& d : dbs)
            if (d.name == n) return d;
        FAIL("no " << n);
        return SourceDatabase{};
    };
    CHECK(by_name("small").migrated());
    CHECK(by_name("small").placement == Placement::create);
    CHECK(by_name("big").migrated());
    CHECK(by_name("postgres").migrated());
    CHECK(by_name("postgres").placement == Placement::existing);
    CHECK(by_name("template1").migrated());
    CHECK(by_name("template1").placement == Placement::existing);
    CHECK(by_name("template0").skip_reason.has_value());
    CHECK(by_name("tmpl_custom").skip_reason->find("template") != std::string::npos);
    CHECK(by_name("locked").skip_reason->find("datallowconn") != std::string::npos);
    CHECK(by_name("app_old").skip_reason->find("--exclude-database") != std::string::npos);

    auto only = decide_databases(rows, DatabaseFilter({"big"}, {}));
    for (const auto& d : only) CHECK(d.migrated() == (d.name == "big"));
}
