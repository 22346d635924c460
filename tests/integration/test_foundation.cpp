// The foundation against real servers: the libpq layer connects to two started servers, the
// process layer runs pg_dump --version, and errors name the server without the password.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

#include "pg_server.hpp"
#include "pgmigrate/pg/pool.hpp"
#include "pgmigrate/process/pg_tools.hpp"

using namespace pgtest;

TEST_CASE("two real servers answer through the libpq layer and pool") {
    PgServer source({.name = "src", .password = "Src-Pw-9a"});
    PgServer target({.name = "dst", .password = "Dst-Pw-4b"});
    // The major the harness's server binaries report, not a number written into the test.
    int major = pgmigrate::process::query_tool_version(debian_bin_dir() / "postgres").major;
    CHECK(source.scalar("SELECT current_setting('server_version_num')::int / 10000") ==
          std::to_string(major));
    CHECK(target.scalar("SELECT 40 + 2") == "42");
    CHECK(source.port() != target.port());

    pgmigrate::pg::Pool pool(std::chrono::milliseconds(1500));
    {
        auto a = pool.acquire(source.endpoint(), "postgres");
        auto b = pool.acquire(target.endpoint(), "postgres");
        CHECK(a->query("SELECT $1::int * 2", {"21"}).get(0, 0) == "42");
        CHECK(b->server_major() == major);
    }
    CHECK(pool.idle_count() == 2);
    {
        auto again = pool.acquire(source.endpoint(), "postgres");
        CHECK(pool.idle_count() == 1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3500));
    CHECK(pool.idle_count() == 0);  // idle connections drained
}

TEST_CASE("the pool drops idle connections whose server went away") {
    PgServer server({.name = "restart"});
    pgmigrate::pg::Pool pool;
    { auto c = pool.acquire(server.endpoint(), "postgres"); }
    REQUIRE(pool.idle_count() == 1);
    server.restart();
    auto fresh = pool.acquire(server.endpoint(), "postgres");
    CHECK(fresh->query("SELECT 'new session'").get(0, 0) == "new session");
}

TEST_CASE("a query that runs past its timeout is cancelled and the connection stays usable") {
    PgServer server({.name = "timeout"});
    auto conn = server.connect();
    auto start = std::chrono::steady_clock::now();
    try {
        conn.query("SELECT pg_sleep(30)", {}, std::chrono::seconds(1));
        FAIL("expected a timeout");
    } catch (const pgmigrate::pg::PgError& e) {
        CHECK(std::string(e.what()).find("timed out") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(15));
    CHECK(conn.healthy());
    CHECK(conn.query("SELECT 'still here'").get(0, 0) == "still here");
}

TEST_CASE("connection errors name host, port, database and user but never the password") {
    PgServer server({.name = "auth", .password = "Right-Pw-1"});
    pgmigrate::pg::Endpoint wrong = server.endpoint();
    wrong.password = "Wrong-Pw-Secret-77";
    try {
        pgmigrate::pg::Connection::open(wrong, "postgres");
        FAIL("expected an authentication error");
    } catch (const pgmigrate::Error& e) {
        std::string msg = e.what();
        CHECK(msg.find(fmt::format("127.0.0.1:{}", server.port())) != std::string::npos);
        CHECK(msg.find("database \"postgres\"") != std::string::npos);
        CHECK(msg.find("user postgres") != std::string::npos);
        CHECK(msg.find("Wrong-Pw-Secret-77") == std::string::npos);
        CHECK(e.code() == pgmigrate::ExitCode::source);
    }
}

TEST_CASE("the process layer runs pg_dump --version and reports failures with stderr") {
    auto tools = pgmigrate::process::find_client_tools(std::nullopt);
    CHECK(tools.version.major >= 15);
    auto version = pgmigrate::process::query_tool_version(tools.pg_dump);
    CHECK(version.major == tools.version.major);

    pgmigrate::process::Command cmd;
    cmd.program = tools.pg_dump.string();
    cmd.args = {"--dbname=host=127.0.0.1 port=1 dbname=x connect_timeout=2"};
    cmd.label = "pg_dump [x]";
    std::vector<std::string> lines;
    auto out = pgmigrate::process::run(cmd, [&](const std::string& l) { lines.push_back(l); });
    CHECK_FALSE(out.ok());
    CHECK(out.exit_code == 1);
    REQUIRE_FALSE(out.stderr_tail.empty());
    bool named = std::any_of(out.stderr_tail.begin(), out.stderr_tail.end(), [](const auto& l) {
        return l.find("pg_dump: error") != std::string::npos;
    });
    CHECK(named);
    CHECK(lines == out.stderr_tail);
}
