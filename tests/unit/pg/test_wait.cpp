// Which first-connection failures --wait-for-servers retries.
#include <catch2/catch.hpp>

#include "pgmigrate/pg/wait.hpp"

TEST_CASE("--wait-for-servers retries what a starting server says, nothing else") {
    using pgmigrate::pg::is_transient_connect_failure;
    using pgmigrate::pg::sqlstate_in;
    const std::string at = "connection to server at \"127.0.0.1\", port 5432 failed: ";
    CHECK(sqlstate_in(at + "FATAL:  57P03: the database system is starting up") == "57P03");
    CHECK_FALSE(sqlstate_in(at + "Connection refused").has_value());
    CHECK(is_transient_connect_failure(at + "FATAL:  57P03: the database system is starting up"));
    CHECK(is_transient_connect_failure(at + "FATAL:  53300: sorry, too many clients already"));
    CHECK(is_transient_connect_failure(
        at +
        "Connection refused\n\tIs the server running on that host and accepting TCP/IP "
        "connections?"));
    CHECK(is_transient_connect_failure(
        "could not translate host name \"source\" to address: Name or service not known"));
    CHECK_FALSE(is_transient_connect_failure(
        at + "FATAL:  28P01: password authentication failed for user \"postgres\""));
    CHECK_FALSE(is_transient_connect_failure(
        at + "FATAL:  28000: no pg_hba.conf entry for host \"10.0.0.1\""));
    CHECK_FALSE(is_transient_connect_failure(at + "FATAL:  3D000: database \"x\" does not exist"));
    // A server's text that mentions a transient phrase does not override its SQLSTATE.
    CHECK_FALSE(is_transient_connect_failure(at + "FATAL:  28P01: Connection refused"));
}
