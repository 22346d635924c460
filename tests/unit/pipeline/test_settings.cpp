// Target settings for the load: sizing from the target machine, the parsers of what
// pg_read_file returns, and the wal_level advice.
#include <catch2/catch.hpp>

#include "pgmigrate/pipeline/settings.hpp"

using namespace pgmigrate::pipeline;

namespace {
constexpr long long kMiB = 1LL << 20;
const ChosenSetting* find(const std::vector<ChosenSetting>& v, const std::string& name) {
    for (const auto& s : v)
        if (s.name == name) return &s;
    return nullptr;
}
}  // namespace

TEST_CASE("maintenance_work_mem is a quarter of the memory per concurrent index build") {
    TargetMachine m;
    m.memory_bytes = 16LL * 1024 * kMiB;
    m.memory_source = "/proc/meminfo";
    m.cores = 16;
    CurrentSettings cur;
    auto chosen = choose_target_settings(m, cur, 4, 2);  // 8 builds: 16 GiB / 4 / 8 = 512MB
    REQUIRE(find(chosen, "maintenance_work_mem"));
    CHECK(find(chosen, "maintenance_work_mem")->value == "512MB");
    CHECK(find(chosen, "maintenance_work_mem")->why.find("8 concurrent index builds") !=
          std::string::npos);

    SECTION("clamped to 64MB..2GB; never below the server's own value") {
        auto many = choose_target_settings(m, cur, 64, 64);
        CHECK_FALSE(find(many, "maintenance_work_mem"));  // 64MB is the current value
        auto one = choose_target_settings(m, cur, 1, 1);
        CHECK(find(one, "maintenance_work_mem")->value == "2048MB");
        CurrentSettings big;
        big.maintenance_work_mem_bytes = 1024 * kMiB;
        CHECK_FALSE(find(choose_target_settings(m, big, 4, 2), "maintenance_work_mem"));
    }
    SECTION("unknown memory: guessed from shared_buffers") {
        TargetMachine g;
        g.shared_buffers_bytes = 4LL * 1024 * kMiB;  // guess 16 GiB
        auto c = choose_target_settings(g, cur, 4, 2);
        CHECK(find(c, "maintenance_work_mem")->value == "512MB");
        CHECK_FALSE(find(c, "max_parallel_maintenance_workers"));  // cores unknown: unchanged
    }
}

TEST_CASE("parallel maintenance workers only where cores are idle") {
    TargetMachine m;
    m.memory_bytes = 8LL * 1024 * kMiB;
    CurrentSettings cur;  // 2 workers
    m.cores = 2;
    auto two = choose_target_settings(m, cur, 2, 2);  // 4 builds on 2 cores
    REQUIRE(find(two, "max_parallel_maintenance_workers"));
    CHECK(find(two, "max_parallel_maintenance_workers")->value == "0");
    m.cores = 32;
    auto wide = choose_target_settings(m, cur, 2, 2);  // 32 / 4 - 1 = 7
    CHECK(find(wide, "max_parallel_maintenance_workers")->value == "7");
    m.max_parallel_workers = 4;
    CHECK(find(choose_target_settings(m, cur, 2, 2), "max_parallel_maintenance_workers")->value ==
          "4");
    m.cores = 12;  // 12 / 4 - 1 = 2 = current: nothing to change
    CHECK_FALSE(find(choose_target_settings(m, cur, 2, 2), "max_parallel_maintenance_workers"));
}

TEST_CASE("pg_read_file contents are parsed, anything else is unknown") {
    CHECK(parse_meminfo_total("MemTotal:       24576000 kB\nMemFree: 1 kB\n") == 24576000LL * 1024);
    CHECK_FALSE(parse_meminfo_total("garbage"));
    CHECK(parse_cpuinfo_cores("processor\t: 0\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\n") == 2);
    CHECK_FALSE(parse_cpuinfo_cores(""));
    CHECK(parse_cgroup_memory_max("4294967296\n") == 4294967296LL);
    CHECK_FALSE(parse_cgroup_memory_max("max\n"));
    CHECK(parse_cgroup_cpu_max("150000 100000\n") == 2);
    CHECK_FALSE(parse_cgroup_cpu_max("max 100000\n"));
}

TEST_CASE("every setting pg-migrate ever changed is still put back") {
    const auto& names = managed_setting_names();
    for (const char* n : {"fsync", "synchronous_commit", "full_page_writes", "maintenance_work_mem",
                          "checkpoint_completion_target", "max_parallel_maintenance_workers"})
        CHECK(std::find(names.begin(), names.end(), n) != names.end());
}

TEST_CASE("wal_level advice only where minimal is possible and not already set") {
    auto a = wal_level_advice("replica", 10, "off", 0);
    CHECK(a.find("wal_level = minimal") != std::string::npos);
    CHECK(a.find("max_wal_senders = 0") != std::string::npos);
    CHECK(a.find("archive_mode") == std::string::npos);
    CHECK(wal_level_advice("replica", 10, "on", 0).find("archive_mode = off") != std::string::npos);
    CHECK(wal_level_advice("minimal", 0, "off", 0).empty());
    CHECK(wal_level_advice("logical", 10, "off", 1).empty());  // a standby is attached
}
