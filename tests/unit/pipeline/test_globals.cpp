// The globals dump (roles, tablespaces) planned into statements for the target.
#include <algorithm>
#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/globals.hpp"

using namespace pgmigrate::pipeline;

TEST_CASE("globals drop the migration user's statements, by exact name, and psql meta lines") {
    std::string dump =
        "\\restrict XyZ\n"
        "SET default_transaction_read_only = off;\n"
        "CREATE ROLE postgres;\n"
        "ALTER ROLE postgres WITH SUPERUSER INHERIT LOGIN PASSWORD 'SCRAM-SHA-256$x';\n"
        "CREATE ROLE postgres_reader;\n"
        "ALTER ROLE postgres_reader WITH NOSUPERUSER LOGIN;\n"
        "CREATE ROLE \"Admin \"\"Q\"\"\";\n"
        "ALTER ROLE \"Admin \"\"Q\"\"\" WITH LOGIN;\n"
        "ALTER   ROLE\n  \"postgres\" SET search_path TO 'x';\n"
        "COMMENT ON ROLE postgres IS 'the boss';\n"
        "GRANT postgres_reader TO postgres GRANTED BY postgres;\n"
        "\\unrestrict XyZ\n";
    auto plan = plan_globals(dump, "postgres");
    CHECK(plan.skipped.size() == 4);
    REQUIRE(plan.statements.size() == 6);
    CHECK(plan.statements[0] == "SET default_transaction_read_only = off");
    CHECK(plan.statements[1] == "CREATE ROLE postgres_reader");
    CHECK(plan.statements[3] == "CREATE ROLE \"Admin \"\"Q\"\"\"");
    CHECK(plan.statements[5] == "GRANT postgres_reader TO postgres GRANTED BY postgres");

    auto quoted = plan_globals(dump, "Admin \"Q\"");
    CHECK(quoted.skipped.size() == 2);
    CHECK(std::find(quoted.statements.begin(), quoted.statements.end(), "CREATE ROLE postgres") !=
          quoted.statements.end());
}
