// Issue 10, part 2: the connection budget holds. A source with 500 databases and PostgreSQL's
// default max_connections = 100 on both servers migrates with default flags, and the client
// connections pg-migrate and its children hold on each server, sampled from pg_stat_activity
// all through the run, never exceed the budget it printed.
#include <catch2/catch.hpp>

#include <atomic>
#include <iostream>
#include <regex>
#include <thread>

#include "pg_server.hpp"

using namespace pgtest;

namespace {

// The largest number of client connections of others seen on a server while it runs.
class PeakSampler {
  public:
    explicit PeakSampler(const PgServer& server)
        : thread_([this, &server] {
              auto conn = server.connect();
              while (!stop_) {
                  auto res = conn.query(
                      "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                      "AND backend_type = 'client backend'");
                  peak_ = std::max(peak_.load(), static_cast<int>(res.get_int(0, 0)));
                  ++samples_;
                  std::this_thread::sleep_for(std::chrono::milliseconds(20));
              }
          }) {}
    ~PeakSampler() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }
    int peak() const { return peak_; }
    int samples() const { return samples_; }

  private:
    std::atomic<bool> stop_{false};
    std::atomic<int> peak_{0}, samples_{0};
    std::thread thread_;
};

// The peak the run printed for a side: "connection budget: source 6 x (11 + 2) + (16 + 2) = 96".
int printed_peak(const MigrateRun& run, const std::string& side) {
    std::smatch m;
    std::regex re(side + R"( \d+ x \(\d+ \+ \d\) \+ \(\d+ \+ 2\) = (\d+) of max_connections)");
    REQUIRE(std::regex_search(run.output, m, re));
    return std::stoi(m[1]);
}

}  // namespace

TEST_CASE("500 databases, max_connections = 100, default flags: the budget holds") {
    const std::vector<std::string> defaults = {"max_connections=100"};
    PgServer source({.name = "budsrc", .password = "Bud-Src-1", .settings = defaults});
    PgServer target({.name = "buddst", .password = "Bud-Dst-2", .settings = defaults});
    // Every database is a copy of template1 with one small table in it.
    source.exec(
        "CREATE TABLE tenant_data (id int PRIMARY KEY, v text); "
        "INSERT INTO tenant_data SELECT g, 'v' || g FROM generate_series(1, 20) g",
        "template1");
    const int kDatabases = 500;
    for (int i = 0; i < kDatabases; ++i) source.exec("CREATE DATABASE tenant_" + std::to_string(i));

    PeakSampler on_source(source), on_target(target);
    MigrateOptions opts;
    opts.small_parallelism = false;  // the defaults: 6 databases at once, 24 dump jobs, ...
    opts.extra_args = {"--no-progress"};
    auto run = run_pg_migrate(source, target, TempDir("pgm-budget").path(), opts);
    on_source.stop();
    on_target.stop();
    INFO(run.output.substr(0, 4000));
    REQUIRE(run.exit_code == 0);
    CHECK(run.contains("connection budget: lowering --dump-jobs 24 -> "));
    int source_budget = printed_peak(run, "source");
    int target_budget = printed_peak(run, "target");
    CHECK(source_budget <= 96);
    CHECK(target_budget <= 96);
    INFO("peak source " << on_source.peak() << " of " << source_budget << ", target "
                        << on_target.peak() << " of " << target_budget << " ("
                        << on_source.samples() << " samples)");
    CHECK(on_source.samples() > 50);
    CHECK(on_source.peak() > 0);
    CHECK(on_source.peak() <= source_budget);
    CHECK(on_target.peak() <= target_budget);
    CHECK_FALSE(run.contains("too many clients"));
    // Every database arrived with its rows.
    CHECK(target.scalar("SELECT count(*) FROM pg_database WHERE datname LIKE 'tenant\\_%'") ==
          std::to_string(kDatabases));
    CHECK(target.scalar("SELECT count(*) FROM tenant_data", "tenant_0") == "20");
    CHECK(target.scalar("SELECT count(*) FROM tenant_data", "tenant_499") == "20");
    std::cout << "test_budget: peak source " << on_source.peak() << "/" << source_budget
              << ", peak target " << on_target.peak() << "/" << target_budget << "\n";
}

TEST_CASE("a server without room for one database at a time is refused with the numbers") {
    PgServer source({.name = "budtiny", .password = "Bud-Tiny-1",
                     .settings = {"max_connections=8", "superuser_reserved_connections=3"}});
    PgServer target({.name = "budtdst", .password = "Bud-Tdst-2"});
    source.exec("CREATE DATABASE app");
    auto run = run_pg_migrate(source, target, TempDir("pgm-budget-tiny").path());
    INFO(run.output);
    CHECK(run.exit_code == 3);
    CHECK(run.contains("too few free connections"));
    CHECK(run.contains("max_connections 8 - reserved 3"));
    CHECK(target.scalar("SELECT count(*) FROM pg_database WHERE datname = 'app'") == "0");
}
