// A dump root on a full and on a read-only file system (small tmpfs mounts). Apart from
// test_reliability because mounting needs root or CAP_SYS_ADMIN: without it this executable
// exits 77 and CTest reports it skipped.
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>

#include "pg_server.hpp"
#include "scenario.hpp"
#include "skip.hpp"

using namespace pgtest;

namespace {
constexpr const char* kCannotMount = "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)";
}

TEST_CASE("a dump root on a full file system fails that step and the re-run completes") {
    TempDir dir("pgm-full");
    auto mnt = dir.path() / "tiny";
    auto tiny = std::make_unique<TmpfsMount>(mnt, "size=40k");
    if (!tiny->mounted()) return skip(kCannotMount);
    ScenarioPair p("mnt", 1500);
    std::string settings_before = target_settings(p.target);
    auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                              {.extra_args = {"--dump-root", mnt.string()}});
    tiny.reset();
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(run.contains("failed while dumping"));
    CHECK(run.contains("No space left on device"));
    CHECK(target_settings(p.target) == settings_before);
    p.expect_complete_rerun({"--dump-root", (dir.path() / "big").string()});
}

TEST_CASE("a dump root on a read-only file system") {
    TempDir dir("pgm-ro");
    auto mnt = dir.path() / "ro";
    TmpfsMount read_only(mnt, "ro,size=1m");
    if (!read_only.mounted()) return skip(kCannotMount);
    ScenarioPair p("mnt", 1500);
    auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                              {.extra_args = {"--dump-root", mnt.string()}});
    INFO(run.output);
    CHECK(run.exit_code == 5);
    CHECK(run.contains("dump root " + mnt.string() + " is not writable"));
    CHECK(p.target.scalar("SELECT count(*) FROM pg_database WHERE datname = 'plain_db'") == "0");
}
