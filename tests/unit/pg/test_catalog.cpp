#include <catch2/catch.hpp>

#include "pgmigrate/pg/catalog.hpp"

using pgmigrate::pg::sql::database_properties;

TEST_CASE("database properties read the locale columns each major has") {
    auto v14 = database_properties(14);
    CHECK(v14.find("datlocprovider") == std::string::npos);
    CHECK(v14.find("'c'::text, NULL::text") != std::string::npos);
    auto v15 = database_properties(15);
    CHECK(v15.find("d.datlocprovider::text, d.daticulocale") != std::string::npos);
    auto v17 = database_properties(17);
    CHECK(v17.find("d.datlocprovider::text, d.datlocale") != std::string::npos);
    CHECK(v17.find("daticulocale") == std::string::npos);
}
