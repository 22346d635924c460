#include <catch2/catch.hpp>

#include "pgmigrate/pg/endpoint.hpp"

using namespace pgmigrate::pg;

TEST_CASE("child conninfo never carries the password; the environment does") {
    Endpoint e;
    e.host = "db.example";
    e.port = 6543;
    e.user = "admin";
    e.password = "S3cret!";
    e.options["sslmode"] = "verify-full";
    std::string ci = e.child_conninfo("my 'db'");
    CHECK(ci.find("S3cret") == std::string::npos);
    CHECK(ci.find("dbname='my \\'db\\''") != std::string::npos);
    CHECK(ci.find("sslmode='verify-full'") != std::string::npos);
    auto env = e.child_environment();
    REQUIRE(env.size() == 1);
    CHECK(env[0] == std::pair<std::string, std::string>{"PGPASSWORD", "S3cret!"});
    CHECK(e.describe("x") == "source server db.example:6543, database \"x\", user admin");
}
