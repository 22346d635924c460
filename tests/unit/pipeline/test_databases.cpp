#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/databases.hpp"
#include "pgmigrate/util/error.hpp"

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

TEST_CASE("database definitions become CREATE DATABASE and property statements") {
    DatabaseDefinition d;
    d.name = "Sales \"EU\"";
    d.owner = "app owner";
    d.encoding = "LATIN1";
    d.collate = "C";
    d.ctype = "C";
    d.connection_limit = 7;
    d.comment = "it's sales";
    d.default_acl = false;
    d.grants = {{std::nullopt, "CONNECT", false}, {"app owner", "CREATE", true}};
    d.settings = {{std::nullopt, "work_mem", "64MB"},
                  {"bob", "search_path", "app, \"$user\", public"}};
    CHECK(create_database_sql(d, 15, true) ==
          "CREATE DATABASE \"Sales \"\"EU\"\"\" WITH TEMPLATE = template0 OWNER = \"app owner\" "
          "ENCODING = 'LATIN1' LC_COLLATE = 'C' LC_CTYPE = 'C' CONNECTION LIMIT = 7");
    auto props = database_property_sql(d, true);
    REQUIRE(props.size() == 7);
    CHECK(props[0] == "COMMENT ON DATABASE \"Sales \"\"EU\"\"\" IS 'it''s sales'");
    CHECK(props[1] == "REVOKE ALL ON DATABASE \"Sales \"\"EU\"\"\" FROM PUBLIC");
    CHECK(props[3] == "GRANT CONNECT ON DATABASE \"Sales \"\"EU\"\"\" TO PUBLIC");
    CHECK(props[4] ==
          "GRANT CREATE ON DATABASE \"Sales \"\"EU\"\"\" TO \"app owner\" WITH GRANT OPTION");
    CHECK(props[5] == "ALTER DATABASE \"Sales \"\"EU\"\"\" SET \"work_mem\" TO '64MB'");
    CHECK(props[6] ==
          "ALTER ROLE \"bob\" IN DATABASE \"Sales \"\"EU\"\"\" SET \"search_path\" TO "
          "'app', '$user', 'public'");

    d.provider = "i";
    d.provider_locale = "und";
    CHECK(create_database_sql(d, 15, false).find("LOCALE_PROVIDER = icu ICU_LOCALE = 'und'") !=
          std::string::npos);
    CHECK_THROWS_AS(create_database_sql(d, 14, false), pgmigrate::Error);
}
