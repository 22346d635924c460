// pipeline::TargetSettings against a real target: apply() changes what it says and saves the
// previous values first; restore() puts every value back exactly, also one set with ALTER SYSTEM
// before the run; after a crash (the object gone without restore, or the process killed) a new
// run's restore_leftover() puts them back from the saved file; another server's file is refused
// and changes nothing.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "../unit/subprocess.hpp"
#include "pg_server.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/pipeline/settings.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgtest;
using namespace pgmigrate::pipeline;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Every setting pg-migrate manages as the server runs it (pg_settings) and as
// postgresql.auto.conf holds it (pg_file_settings reads the file when asked).
std::string snapshot(const PgServer& server) {
    std::string out;
    for (const auto& r : server.rows(
             "SELECT name, setting, source, coalesce(sourcefile, '') FROM pg_settings WHERE name "
             "IN ('maintenance_work_mem', 'max_parallel_maintenance_workers', 'fsync', "
             "'synchronous_commit', 'full_page_writes', 'checkpoint_completion_target') "
             "ORDER BY name"))
        out += r[0] + "=" + r[1] + " (" + r[2] + " " + fs::path(r[3]).filename().string() + ")\n";
    for (const auto& r : server.rows("SELECT name, setting FROM pg_file_settings WHERE "
                                     "sourcefile LIKE '%postgresql.auto.conf' ORDER BY seqno"))
        out += "auto.conf: " + r[0] + " = " + r[1] + "\n";
    return out;
}

// pg_reload_conf() only signals: a new session sees the reloaded values a moment later.
bool eventually(const std::function<bool()>& condition) {
    for (auto until = Clock::now() + std::chrono::seconds(10); Clock::now() < until;) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

Config config_for(const PgServer& target, const fs::path& home) {
    Config c;
    c.from = target.endpoint();  // not used by TargetSettings
    c.to = target.endpoint();
    c.to.side = pgmigrate::pg::Side::target;
    c.state_home = home;
    c.dump_root = home / "dumps";
    // One index build at a time: the whole quarter of the memory for it, and spare cores.
    c.restore_jobs = 1;
    c.restore_parallel = 1;
    return c;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A server with maintenance_work_mem set by ALTER SYSTEM before pg-migrate runs (70MB: above the
// default, below what apply() chooses for one build on any machine with 1 GiB).
struct Target {
    PgServer server{{.name = "settings"}};
    TempDir home{"pgmigrate-settings"};
    Target() {
        server.exec("ALTER SYSTEM SET maintenance_work_mem = '70MB'");
        server.exec("SELECT pg_reload_conf()");
        REQUIRE(eventually([&] {
            return server.scalar(
                       "SELECT setting FROM pg_settings WHERE name = "
                       "'maintenance_work_mem'") == "71680";
        }));
    }
    Config config() const { return config_for(server, home.path()); }
};

// apply() on a fresh context; the saved document.
nlohmann::json apply_settings(const Config& config) {
    Context ctx(config);
    ctx.state.prepare();
    TargetSettings settings(ctx);
    settings.apply();
    REQUIRE(fs::exists(ctx.state.saved_settings_file()));
    return nlohmann::json::parse(read_file(ctx.state.saved_settings_file()));
}

}  // namespace

TEST_CASE("apply changes the settings it saved; restore puts every value back exactly") {
    Target t;
    const std::string before = snapshot(t.server);
    Context ctx(t.config());
    ctx.state.prepare();
    TargetSettings settings(ctx);
    settings.apply();

    const fs::path saved_file = ctx.state.saved_settings_file();
    REQUIRE(fs::exists(saved_file));
    auto saved = nlohmann::json::parse(read_file(saved_file));
    INFO(saved.dump(2));
    CHECK(saved["server"] == ctx.options.to.describe());
    REQUIRE(saved["settings"].is_array());
    REQUIRE_FALSE(saved["settings"].empty());
    bool saw_preset = false;
    for (const auto& item : saved["settings"]) {
        std::string name = item.at("name");
        // The previous postgresql.auto.conf value: the preset one, or none.
        if (name == "maintenance_work_mem") {
            saw_preset = true;
            CHECK(item.at("auto_conf") == "70MB");
        } else {
            CHECK(item.at("auto_conf").is_null());
        }
        // What apply() says it changed is in postgresql.auto.conf and is what the server runs.
        CHECK(t.server.scalar("SELECT count(*) FROM pg_file_settings WHERE name = '" + name +
                              "' AND sourcefile LIKE '%postgresql.auto.conf' AND applied") == "1");
        CHECK(eventually([&] {
            return t.server.scalar(
                       "SELECT sourcefile LIKE '%postgresql.auto.conf' AND setting = "
                       "(SELECT setting FROM pg_file_settings f WHERE f.name = "
                       "s.name ORDER BY seqno DESC LIMIT 1)::text OR (unit = 'kB' "
                       "AND setting::bigint * 1024 = pg_size_bytes((SELECT setting "
                       "FROM pg_file_settings f WHERE f.name = s.name ORDER BY "
                       "seqno DESC LIMIT 1))) FROM pg_settings s WHERE name = '" +
                       name + "'") == "t";
        }));
    }
    CHECK(saw_preset);  // 70MB is below what one build gets from any real machine
    CHECK(t.server.scalar("SELECT pg_size_bytes(current_setting('maintenance_work_mem')) > "
                          "pg_size_bytes('70MB')") == "t");
    CHECK(snapshot(t.server) != before);

    settings.restore();
    CHECK_FALSE(fs::exists(saved_file));
    CHECK(eventually([&] { return snapshot(t.server) == before; }));
    CHECK(snapshot(t.server) == before);
    // A second restore has nothing to do and changes nothing.
    settings.restore();
    CHECK(snapshot(t.server) == before);
}

TEST_CASE("after a crash, the next run's restore_leftover puts the saved values back") {
    Target t;
    const std::string before = snapshot(t.server);

    SECTION("the object goes away without restore") {
        apply_settings(t.config());
    }
    SECTION("the process is killed after apply") {
        // The run that applies is a forked copy of this test, killed by SIGKILL.
        Config config = t.config();
        int rc = pgmigrate::testing::in_subprocess([&] {
            Context ctx(config);
            ctx.state.prepare();
            TargetSettings(ctx).apply();
            ::kill(::getpid(), SIGKILL);
            return 0;
        });
        REQUIRE(rc == 128 + SIGKILL);
    }
    const fs::path saved_file = t.home.path() / "pg_migrate_state" / "dst_settings.json";
    REQUIRE(fs::exists(saved_file));
    CHECK(eventually([&] { return snapshot(t.server) != before; }));

    Context next(t.config());
    TargetSettings(next).restore_leftover();
    CHECK_FALSE(fs::exists(saved_file));
    CHECK(eventually([&] { return snapshot(t.server) == before; }));
    CHECK(snapshot(t.server) == before);
}

TEST_CASE("another server's saved settings are refused with exit 5 and change nothing") {
    Target t;
    PgServer other({.name = "other"});
    REQUIRE(t.server.scalar("SELECT system_identifier::text FROM pg_control_system()") !=
            other.scalar("SELECT system_identifier::text FROM pg_control_system()"));
    apply_settings(t.config());
    const fs::path saved_file = t.home.path() / "pg_migrate_state" / "dst_settings.json";
    const std::string saved_text = read_file(saved_file);
    const std::string other_before = snapshot(other);

    // The same state directory, pointed at the other server.
    Context wrong(config_for(other, t.home.path()));
    try {
        TargetSettings(wrong).restore_leftover();
        FAIL("another server's settings were accepted");
    } catch (const pgmigrate::Error& e) {
        CHECK(e.code() == pgmigrate::ExitCode::local);
        CHECK(static_cast<int>(e.code()) == 5);
        CHECK(std::string(e.what()).find(saved_file.string()) != std::string::npos);
    }
    // pg-migrate itself, with this state, migrating into the other server: exit 5 at once.
    auto run = run_pg_migrate(t.server, other, t.home.path());
    INFO(run.output);
    CHECK(run.exit_code == 5);
    CHECK(run.contains(saved_file.string()));
    CHECK_FALSE(run.contains("database(s) to migrate"));  // stopped before discovery
    CHECK(snapshot(other) == other_before);
    CHECK(other.scalar("SELECT count(*) FROM pg_file_settings WHERE sourcefile LIKE "
                       "'%postgresql.auto.conf'") == "0");
    CHECK(other.scalar("SELECT count(*) FROM pg_database WHERE NOT datistemplate") == "1");
    // The file stays for the server it belongs to, which still gets its values back.
    CHECK(read_file(saved_file) == saved_text);
    Context right(t.config());
    TargetSettings(right).restore_leftover();
    CHECK_FALSE(fs::exists(saved_file));
}

// What makes a saved file another server's is its system identifier, not its address (as for the
// step markers, pipeline/steps.hpp): a server that replaced the one the file was written for, at
// the same host and port, must not get the first server's values.
TEST_CASE("a saved file of another server at the same address is refused") {
    Target t;
    PgServer other({.name = "same-address"});
    apply_settings(t.config());
    const fs::path saved_file = t.home.path() / "pg_migrate_state" / "dst_settings.json";
    // As the first server's run would have written it, had that server been where `other` is.
    Config other_config = config_for(other, t.home.path());
    auto doc = nlohmann::json::parse(read_file(saved_file));
    doc["server"] = other_config.to.describe();
    std::ofstream(saved_file) << doc.dump(2) << "\n";
    const std::string other_before = snapshot(other);

    Context wrong(other_config);
    bool refused = false;
    try {
        TargetSettings(wrong).restore_leftover();
    } catch (const pgmigrate::Error& e) {
        refused = true;
        CHECK(e.code() == pgmigrate::ExitCode::local);
    }
    CHECK(refused);
    CHECK(snapshot(other) == other_before);  // postgresql.auto.conf is read as it is now
}
