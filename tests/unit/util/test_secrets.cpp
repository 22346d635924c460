#include <catch2/catch.hpp>

#include "pgmigrate/util/secrets.hpp"

using pgmigrate::util::mask_secrets;

namespace {
// A registration that ends with the test case, so no other test sees it.
struct RegisteredSecret {
    explicit RegisteredSecret(std::string s) : secret(std::move(s)) {
        pgmigrate::util::register_secret(secret);
    }
    ~RegisteredSecret() { pgmigrate::util::forget_secret(secret); }
    std::string secret;
};
}  // namespace

TEST_CASE("conninfo and environment password values are masked, registered or not") {
    CHECK(mask_secrets("host=h password=s3cr3t user=u") == "host=h password=******** user=u");
    CHECK(mask_secrets("host=h password='it\\'s x' user=u") == "host=h password='********' user=u");
    CHECK(mask_secrets("PGPASSWORD=abc sslpassword = 'k'") ==
          "PGPASSWORD=******** sslpassword = '********'");
    CHECK(mask_secrets("password=") == "password=");
}

TEST_CASE("the literal after SQL's PASSWORD keyword is masked in any case") {
    CHECK(mask_secrets("ALTER ROLE app WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:abc' VALID UNTIL "
                       "'infinity'") ==
          "ALTER ROLE app WITH LOGIN PASSWORD '********' VALID UNTIL 'infinity'");
    CHECK(mask_secrets("create role x password 'a''b'") == "create role x password '********'");
    CHECK(mask_secrets("CREATE ROLE x ENCRYPTED PASSWORD E'a\\'b';") ==
          "CREATE ROLE x ENCRYPTED PASSWORD E'********';");
    // A literal cut off (a first line of a statement) is masked to the end.
    CHECK(mask_secrets("ALTER ROLE x PASSWORD 'abc") == "ALTER ROLE x PASSWORD '********");
    CHECK(mask_secrets("ALTER ROLE x PASSWORD NULL") == "ALTER ROLE x PASSWORD NULL");
}

TEST_CASE("words that are not password values stay") {
    CHECK(mask_secrets("password authentication failed for user \"app\"") ==
          "password authentication failed for user \"app\"");
    CHECK(mask_secrets("SET password_encryption = 'scram-sha-256'") ==
          "SET password_encryption = 'scram-sha-256'");
    CHECK(mask_secrets("nothing here") == "nothing here");
}

TEST_CASE("a registered secret is masked as a whole SQL literal") {
    RegisteredSecret s("Hunter2-Secret");
    CHECK(mask_secrets("SELECT 'Hunter2-Secret', 'x'") == "SELECT '********', 'x'");
    RegisteredSecret q("it's");
    CHECK(mask_secrets("SELECT 'it''s'") == "SELECT '********'");
}

TEST_CASE("a short password such as postgres does not blank user and database names") {
    RegisteredSecret s("postgres");
    const std::string line =
        "target server db:5432, database \"postgres\", user postgres: pg_dump --dbname=host='db' "
        "port=5432 user='postgres' dbname='postgres'";
    CHECK(mask_secrets(line) == line);
    CHECK(mask_secrets("password=postgres user=postgres") == "password=******** user=postgres");
    CHECK(mask_secrets("ALTER ROLE postgres PASSWORD 'postgres'") ==
          "ALTER ROLE postgres PASSWORD '********'");
}

TEST_CASE("forget_secret undoes a registration") {
    {
        RegisteredSecret s("only-here");
        CHECK(mask_secrets("'only-here'") == "'********'");
    }
    CHECK(mask_secrets("'only-here'") == "'only-here'");
}
