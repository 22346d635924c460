// Client tools: their versions, and which tools a run uses (the pure choice, no tools needed).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "pgmigrate/process/pg_tools.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::process;
namespace fs = std::filesystem;

namespace {

ClientTools tools(const std::string& dir, int major, const std::string& text) {
    ClientTools t;
    t.dir = dir;
    t.pg_dump = fs::path(dir) / "pg_dump";
    t.version = {major, text};
    return t;
}

}  // namespace

TEST_CASE("tool versions parse") {
    auto v = parse_tool_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)\n");
    REQUIRE(v);
    CHECK(v->major == 15);
    CHECK(v->text == "15.18");
    CHECK(parse_tool_version("pg_dump (PostgreSQL) 18beta1")->major == 18);
    CHECK(parse_tool_version("pg_dump (PostgreSQL) 9.6.24")->major == 9);
    CHECK_FALSE(parse_tool_version("not a version").has_value());
}

TEST_CASE("shipped tools win when they are new enough for the source") {
    auto chosen = choose_client_tools(tools("/opt/pgm/pg-tools", 18, "18.6"),
                                      tools("/usr/lib/postgresql/15/bin", 15, "15.18"),
                                      {tools("/usr/bin", 15, "15.18")}, 17, 18);
    CHECK(chosen.dir == "/opt/pgm/pg-tools");
    CHECK(chosen.reason ==
          "shipped PostgreSQL 18.6 tools beside the binary (new enough for source 17; "
          "--pg-bin-dir /usr/lib/postgresql/15/bin not needed)");
    CHECK(choose_client_tools(tools("/s", 18, "18.6"), std::nullopt, {}, 18, 18).reason ==
          "shipped PostgreSQL 18.6 tools beside the binary (new enough for source 18)");
}

TEST_CASE("shipped tools older than the source give way to --pg-bin-dir, then the search") {
    auto shipped = tools("/opt/pgm/pg-tools", 18, "18.6");
    auto by_flag = choose_client_tools(shipped, tools("/pg19/bin", 19, "19.1"), {}, 19, 19);
    CHECK(by_flag.dir == "/pg19/bin");
    CHECK(by_flag.reason ==
          "--pg-bin-dir /pg19/bin (PostgreSQL 19.1); the shipped PostgreSQL "
          "18.6 tools are older than source 19");
    auto searched = choose_client_tools(
        shipped, std::nullopt,
        {tools("/usr/bin", 15, "15.18"), tools("/usr/lib/postgresql/19/bin", 19, "19.0"),
         tools("/usr/lib/postgresql/16/bin", 16, "16.4")},
        19, 18);
    CHECK(searched.dir == "/usr/lib/postgresql/19/bin");
    CHECK(searched.reason.find("PostgreSQL 19.0 in /usr/lib/postgresql/19/bin: newest on PATH") ==
          0);
}

TEST_CASE("tools newer than the target give way to searched tools between source and target") {
    // pg_restore 18 into a 15 server fails (SET transaction_timeout); 15 tools are what
    // PostgreSQL promises to work there.
    auto shipped = tools("/opt/pgm/pg-tools", 18, "18.6");
    std::vector<ClientTools> debian = {tools("/usr/lib/postgresql/15/bin", 15, "15.18")};
    auto chosen = choose_client_tools(shipped, std::nullopt, debian, 15, 15);
    CHECK(chosen.dir == "/usr/lib/postgresql/15/bin");
    CHECK(chosen.reason ==
          "PostgreSQL 15.18 in /usr/lib/postgresql/15/bin: newest on PATH and in "
          "/usr/lib/postgresql/*/bin between source 15 and target 15; the shipped PostgreSQL "
          "18.6 tools are newer than target 15");
    // Nothing between source and target: the shipped tools still beat a pg_dump too old.
    auto fallback = choose_client_tools(shipped, std::nullopt, debian, 17, 17);
    CHECK(fallback.dir == "/opt/pgm/pg-tools");
    CHECK(fallback.reason.find("newer than target 17") != std::string::npos);
}

TEST_CASE("--pg-bin-dir is used as given when nothing is shipped, even if too old") {
    // preflight then refuses a pg_dump older than the source with its own message.
    auto chosen = choose_client_tools(std::nullopt, tools("/old", 15, "15.18"),
                                      {tools("/usr/lib/postgresql/17/bin", 17, "17.2")}, 17, 17);
    CHECK(chosen.dir == "/old");
}

TEST_CASE("no tools anywhere is an error naming where pg-migrate looked") {
    try {
        choose_client_tools(std::nullopt, std::nullopt, {}, 15, 15);
        FAIL("no error");
    } catch (const pgmigrate::Error& e) {
        CHECK(e.code() == pgmigrate::ExitCode::local);
        CHECK(std::string(e.what()).find("pg-tools/") != std::string::npos);
        CHECK(std::string(e.what()).find("--pg-bin-dir") != std::string::npos);
    }
}

TEST_CASE("the shipped tools folder is beside the real path of the binary") {
    auto dir = fs::temp_directory_path() / "pgm-shipped-dir-test";
    fs::remove_all(dir);
    fs::create_directories(dir / "real");
    fs::create_directories(dir / "links");
    { std::ofstream(dir / "real" / "pg-migrate") << "x"; }
    fs::create_symlink(dir / "real" / "pg-migrate", dir / "links" / "pg-migrate");
    CHECK(shipped_tools_dir(dir / "links" / "pg-migrate") ==
          fs::canonical(dir / "real") / "pg-tools");
    fs::remove_all(dir);
}

TEST_CASE("a tool that is a script behind a link (Debian's pg_wrapper) is recognised") {
    auto dir = fs::temp_directory_path() / ("pgm-wrapper-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "share");
    fs::create_directories(dir / "bin");
    std::ofstream(dir / "share" / "pg_wrapper") << "#!/usr/bin/perl\n";
    std::ofstream(dir / "bin" / "pg_restore") << "\x7f"
                                              << "ELF binary\n";
    fs::create_symlink("../share/pg_wrapper", dir / "bin" / "pg_dump");
    CHECK(is_script(dir / "bin" / "pg_dump"));
    CHECK_FALSE(is_script(dir / "bin" / "pg_restore"));
    CHECK_FALSE(is_script(dir / "bin" / "missing"));
    fs::remove_all(dir);
}

TEST_CASE("with Debian's /usr/bin first on PATH the tools chosen are the programs themselves") {
    // Reads this machine's tools: on Debian /usr/bin/pg_dump is the Perl pg_wrapper and the
    // same major is in /usr/lib/postgresql/N/bin, which must win.
    if (!is_script("/usr/bin/pg_dump")) {
        WARN("/usr/bin/pg_dump is not a wrapper script here: nothing to choose between");
        return;
    }
    const char* old = std::getenv("PATH");
    std::string saved = old ? old : "";
    ::setenv("PATH", "/usr/bin:/bin", 1);
    auto tools = select_client_tools(std::nullopt, 15, 15);
    ::setenv("PATH", saved.c_str(), 1);
    INFO(tools.reason);
    CHECK_FALSE(is_script(tools.pg_dump));
    CHECK_FALSE(is_script(tools.pg_restore));
    CHECK(tools.dir.string().rfind("/usr/lib/postgresql/", 0) == 0);
}
