#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "pgmigrate/cli/options.hpp"
#include "pgmigrate/pipeline/delay_patterns.hpp"

using namespace pgmigrate::cli;

namespace {
// Sets (or, with nullptr, unsets) an environment variable for one scope, then puts it back.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~ScopedEnv() {
        if (old_)
            ::setenv(name_.c_str(), old_->c_str(), 1);
        else
            ::unsetenv(name_.c_str());
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    std::string name_;
    std::optional<std::string> old_;
};

ParseResult parse(std::vector<const char*> args) {
    args.insert(args.begin(), "pg-migrate");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}
}  // namespace

TEST_CASE("defaults match the original tool") {
    ScopedEnv home("HOME", "/tmp/pgm-home");
    auto r = parse({});
    REQUIRE(r.status == ParseStatus::run);
    const auto& o = r.options;
    CHECK(o.from.host == "localhost");
    CHECK(o.from.port == 5432);
    CHECK(o.to.user == "postgres");
    CHECK(o.dump_jobs == 24);
    CHECK(o.restore_jobs == 12);
    CHECK(o.max_parallel == 6);
    CHECK(o.dump_parallel == 6);
    CHECK(o.restore_parallel == 6);
    CHECK(o.verify_concurrency == 16);
    CHECK(o.migrate_globals);
    CHECK_FALSE(o.fast_verify);
    CHECK(o.dump_root == "/tmp/pgm-home/pg_dumps");
}

TEST_CASE("flags set every option") {
    auto r = parse({"--from-host",
                    "src",
                    "--from-port",
                    "6000",
                    "-p",
                    "3",
                    "--dump-parallel",
                    "1",
                    "--migrate-globals=false",
                    "--fast-verify",
                    "--disable-dst-optimizations",
                    "--delay-table-data",
                    "db.t1",
                    "--delay-table-data",
                    "db.s.t*",
                    "--compress",
                    "gzip:3",
                    "--to-sslmode",
                    "require",
                    "--to-pass",
                    "pw"});
    REQUIRE(r.status == ParseStatus::run);
    const auto& o = r.options;
    CHECK(o.from.host == "src");
    CHECK(o.from.port == 6000);
    CHECK(o.max_parallel == 3);
    CHECK(o.dump_parallel == 1);
    CHECK(o.restore_parallel == 3);
    CHECK_FALSE(o.migrate_globals);
    CHECK(o.fast_verify);
    CHECK(o.disable_dst_optimizations);
    CHECK(o.delay_table_data == std::vector<std::string>{"db.t1", "db.s.t*"});
    CHECK(o.compress->method == "gzip");
    CHECK(o.to.options.at("sslmode") == "require");
    CHECK(o.to.password == std::optional<std::string>("pw"));
}

TEST_CASE("a flag given twice: the last one wins; --delay-table-data accumulates") {
    auto r = parse({"--to-user", "a", "--to-user", "b", "--delay-table-data", "d.x",
                    "--delay-table-data", "d.y"});
    REQUIRE(r.status == ParseStatus::run);
    CHECK(r.options.to.user == "b");
    CHECK(r.options.delay_table_data.size() == 2);
}

TEST_CASE("environment variables set options, passwords included") {
    ScopedEnv pass("PG_MIGRATE_TO_PASS", "from-env");
    ScopedEnv parallel("PG_MIGRATE_MAX_PARALLEL", "4");
    auto r = parse({});
    REQUIRE(r.status == ParseStatus::run);
    CHECK(r.options.to.password == std::optional<std::string>("from-env"));
    CHECK(r.options.max_parallel == 4);
}

TEST_CASE("bad values are usage errors with one-line messages") {
    for (auto args : std::vector<std::vector<const char*>>{{"--max-parallel", "0"},
                                                           {"--from-port", "abc"},
                                                           {"--from-port", "70000"},
                                                           {"--delay-table-data", "nodot"},
                                                           {"--delay-table-data", "a.b.c.d"},
                                                           {"--delay-table-data", "db."},
                                                           {"--delay-table-data", "db.\"x"},
                                                           {"--compress", "zstd:99"},
                                                           {"--to-sslmode", "sometimes"},
                                                           {"--no-such-flag"}}) {
        auto r = parse(args);
        CHECK(r.status == ParseStatus::exit_usage);
        CHECK_FALSE(r.message.empty());
        CHECK(r.message.find('\n') == std::string::npos);
    }
}

TEST_CASE("--help lists every flag") {
    auto r = parse({"--help"});
    REQUIRE(r.status == ParseStatus::exit_ok);
    for (const char* flag : {"--from-host",
                             "--from-port",
                             "--from-user",
                             "--from-pass",
                             "--from-db",
                             "--to-host",
                             "--to-port",
                             "--to-user",
                             "--to-pass",
                             "--to-db",
                             "--dump-jobs",
                             "--restore-jobs",
                             "--max-parallel",
                             "--dump-parallel",
                             "--restore-parallel",
                             "--verify-concurrency",
                             "--dump-root",
                             "--migrate-globals",
                             "--disable-dst-optimizations",
                             "--fast-verify",
                             "--delay-table-data",
                             "--compress",
                             "--pg-bin-dir",
                             "--from-sslmode",
                             "--to-sslrootcert",
                             "--version",
                             "PG_MIGRATE_TO_PASS",
                             "Exit codes"})
        CHECK(r.message.find(flag) != std::string::npos);
}

TEST_CASE("--delay-table-data is checked by the pipeline's own parser") {
    auto r = parse({"--delay-table-data", "sales.events", "--delay-table-data", "a.b.c.d"});
    REQUIRE(r.status == ParseStatus::exit_usage);
    CHECK(r.message == pgmigrate::pipeline::delay_pattern_error("a.b.c.d"));
}

TEST_CASE("state lives under HOME, which must be set") {
    {
        ScopedEnv home("HOME", "/tmp/pgm-other-home");
        auto r = parse({"--dump-root", "/d"});
        REQUIRE(r.status == ParseStatus::run);
        CHECK(r.options.state_home == "/tmp/pgm-other-home");
        CHECK(r.options.dump_root == "/d");
    }
    ScopedEnv no_home("HOME", nullptr);
    auto r = parse({});
    CHECK(r.status == ParseStatus::exit_usage);
    CHECK(r.message.find("HOME is not set") != std::string::npos);
}
