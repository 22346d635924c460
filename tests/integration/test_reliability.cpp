// Issue 5: interruption, faults, bad input, one run at a time, secrets, isolation of the source.
// Every fault ends with a re-run that completes and verifies with nothing lost.
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pg_server.hpp"
#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/state.hpp"
#include "pgmigrate/util/text.hpp"
#include "scenario.hpp"

using namespace pgtest;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Pair : ScenarioPair {
    Pair() : ScenarioPair("rel", 1500) {}
};

MigrateOptions kill_on(const std::string& needle, int signo) {
    MigrateOptions o;
    o.kill_when = [needle](const std::string& l) { return l.find(needle) != std::string::npos; };
    o.signal_to_send = signo;
    return o;
}

// Runs a shell command every 10 ms until it succeeds, for up to 5 s. Whether it did.
bool until_it_succeeds(const std::string& command) {
    for (int i = 0; i < 500; ++i) {
        if (std::system(command.c_str()) == 0) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Source catalog and data fingerprint: anything written on the source changes it.
std::string source_fingerprint(const PgServer& s) {
    std::string out = s.scalar(
        "SELECT md5(string_agg(rolname || rolpassword, ',' ORDER BY rolname)) FROM pg_authid");
    for (const auto& db : scenario_databases()) {
        out += s.scalar(
            "SELECT md5(string_agg(c.relname || c.relkind::text || c.relpages::text, ',' ORDER BY "
            "c.oid)) "
            "FROM pg_class c",
            db);
        out += table_counts(s, db);
    }
    return out;
}

}  // namespace

TEST_CASE("SIGINT stops gracefully with exit 130, settings put back; the re-run completes") {
    Pair p;
    std::string settings_before = target_settings(p.target);
    auto run = run_pg_migrate(p.source, p.target, p.home.path(), kill_on("] restoring", SIGINT));
    INFO(run.output);
    CHECK(run.exit_code == 130);
    CHECK(run.contains("received SIGINT"));
    CHECK(run.contains("run the same command again to resume"));
    CHECK(target_settings(p.target) == settings_before);
    CHECK_FALSE(fs::exists(p.home.path() / "pg_migrate_state" / "dst_settings.json"));
    p.expect_complete_rerun();
}

TEST_CASE("a second SIGINT exits at once; the next run puts the settings back and completes") {
    Pair p;
    std::string settings_before = target_settings(p.target);
    // The run is held where the first SIGINT cannot finish it quickly: plain_db's pg_dump waits
    // for a lock this session holds, and is then stopped (SIGSTOP), so the SIGTERM of the
    // graceful stop stays pending and the run waits out the child's 5 s grace. Only the second
    // SIGINT, 50 ms later, can end it before that.
    auto locker = p.source.connect("plain_db");
    locker.execute("BEGIN");
    locker.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
    const std::string pg_dumps = "'[p]g_dump.*port=" + std::to_string(p.source.port()) + "'";
    bool held = false;
    Clock::time_point signalled;
    MigrateOptions opts;
    opts.signal_to_send = SIGINT;
    opts.signal_repeat = 2;
    opts.kill_when = [&](const std::string& line) {
        if (line.find("] dumping") == std::string::npos) return false;
        auto waiting = [&] {
            return p.source.scalar(
                       "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                       "'plain_db' AND application_name = 'pg_dump' AND "
                       "wait_event_type = 'Lock'") == "1";
        };
        for (int i = 0; i < 3000 && !waiting(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        held = waiting() && std::system(("pkill -STOP -f " + pg_dumps).c_str()) == 0;
        signalled = Clock::now();
        return true;
    };
    auto run = run_pg_migrate(p.source, p.target, p.home.path(), opts);
    auto took = Clock::now() - signalled;
    // None should be left (they die with pg-migrate); never leave a stopped one behind.
    [[maybe_unused]] int continued = std::system(("pkill -CONT -f " + pg_dumps).c_str());
    locker.execute("ROLLBACK");
    INFO(run.output);
    REQUIRE(held);
    CHECK(run.exit_code == 130);
    CHECK(run.contains("received SIGINT"));
    CHECK(run.contains("second signal, exiting now"));
    CHECK(took < std::chrono::seconds(4));  // not after the stopped pg_dump's 5 s grace
    CHECK(until_it_succeeds("! pgrep -f " + pg_dumps + " >/dev/null"));
    p.expect_complete_rerun();
    CHECK(target_settings(p.target) == settings_before);
}

TEST_CASE("SIGTERM during a dump exits 143; SIGKILL while counting leaves a resumable state") {
    Pair p;
    auto term = run_pg_migrate(p.source, p.target, p.home.path(), kill_on("] dumping", SIGTERM));
    INFO(term.output);
    CHECK(term.exit_code == 143);
    auto dumping = run_pg_migrate(p.source, p.target, p.home.path(), kill_on("] dumping", SIGKILL));
    CHECK(dumping.signal == SIGKILL);
    auto killed =
        run_pg_migrate(p.source, p.target, p.home.path(), kill_on("] source counts", SIGKILL));
    CHECK(killed.signal == SIGKILL);
    auto killed2 =
        run_pg_migrate(p.source, p.target, p.home.path(), kill_on("] verifying", SIGKILL));
    CHECK(killed2.signal == SIGKILL);
    p.expect_complete_rerun();
}

TEST_CASE("a killed pg_restore fails that database with its signal; the re-run completes") {
    Pair p;
    int port = p.target.port();
    bool killed = false;
    MigrateOptions o;
    o.kill_when = [&](const std::string& l) {
        if (killed || l.find("] restoring") == std::string::npos) return false;
        // Once a pg_restore of this run exists, kill it (never pg-migrate itself).
        killed =
            until_it_succeeds("pkill -KILL -f '[p]g_restore.*port=" + std::to_string(port) + "'");
        return false;
    };
    auto run = run_pg_migrate(p.source, p.target, p.home.path(), o);
    INFO(run.output);
    REQUIRE(killed);
    CHECK(run.exit_code == 1);
    CHECK(run.contains("failed while restoring"));
    CHECK(run.contains("killed by signal 9"));
    p.expect_complete_rerun();
}

TEST_CASE("the target restarting in the middle of a restore; the re-run completes") {
    Pair p;
    int port = p.target.port();
    bool restarted = false;
    MigrateOptions o;
    o.kill_when = [&](const std::string& l) {
        if (restarted || l.find("] restoring") == std::string::npos) return false;
        // Restart once a pg_restore of this run exists, so the restart lands during the restore.
        restarted = until_it_succeeds("pgrep -f '[p]g_restore.*port=" + std::to_string(port) +
                                      "' >/dev/null");
        if (restarted) p.target.restart();
        return false;
    };
    auto run = run_pg_migrate(p.source, p.target, p.home.path(), o);
    INFO(run.output);
    REQUIRE(restarted);
    CHECK(run.exit_code == 1);
    CHECK(run.contains("failed while restoring"));
    p.expect_complete_rerun();
}

TEST_CASE("the source stopping during a dump names the database; the re-run completes") {
    Pair p;
    MigrateOptions o;
    o.kill_when = [&p](const std::string& l) {
        if (l.find("] dumping") == std::string::npos) return false;
        p.source.stop();
        return false;
    };
    auto run = run_pg_migrate(p.source, p.target, p.home.path(), o);
    INFO(run.output);
    CHECK(run.exit_code != 0);
    CHECK(run.contains("failed while"));
    p.source.start();
    p.expect_complete_rerun();
}

TEST_CASE("bad input gets clear errors and exit codes, and changes nothing") {
    Pair p;
    std::string settings_before = target_settings(p.target);

    SECTION("closed port") {
        int closed = p.target.port();
        p.target.stop();
        auto start = std::chrono::steady_clock::now();
        auto run = run_pg_migrate(p.source, p.target, p.home.path());
        p.target.start();
        INFO(run.output);
        CHECK(run.exit_code == 4);
        CHECK(run.contains("target server 127.0.0.1:" + std::to_string(closed)));
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
    }
    SECTION("wrong password") {
        auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                                  {.env = {{"PG_MIGRATE_FROM_PASS", "Not-The-Password-9"}}});
        INFO(run.output);
        CHECK(run.exit_code == 3);
        CHECK(run.contains("password authentication failed"));
        CHECK_FALSE(run.contains("Not-The-Password-9"));
    }
    SECTION("non-superuser target user") {
        p.target.exec("CREATE ROLE plain LOGIN PASSWORD 'Plain-Pw-1'");
        auto run = run_pg_migrate(
            p.source, p.target, p.home.path(),
            {.extra_args = {"--to-user", "plain"}, .env = {{"PG_MIGRATE_TO_PASS", "Plain-Pw-1"}}});
        INFO(run.output);
        CHECK(run.exit_code == 4);
        CHECK(run.contains("is not a superuser"));
        CHECK(run.contains("ALTER SYSTEM"));
    }
    SECTION("a compression the client tools cannot do") {
        auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                                  {.extra_args = {"--compress", "zstd:3"}});
        INFO(run.output);
        CHECK(run.exit_code == 2);
        CHECK(
            run.contains("--compress zstd:3 needs pg_dump 16 or newer, but pg_dump is version 15"));
    }
    SECTION("no client tools") {
        TempDir empty("pgm-empty-bin");
        auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                                  {.extra_args = {"--pg-bin-dir", empty.path().string()}});
        INFO(run.output);
        CHECK(run.exit_code == 5);
        CHECK(run.contains("pg_dump, pg_dumpall and pg_restore must all be there"));
    }
    SECTION("dump root that cannot be created") {
        TempDir dir("pgm-file");
        std::ofstream(dir.path() / "a-file") << "x";
        auto root = (dir.path() / "a-file" / "dumps").string();
        auto run = run_pg_migrate(p.source, p.target, p.home.path(),
                                  {.extra_args = {"--dump-root", root}});
        INFO(run.output);
        CHECK(run.exit_code == 5);
        CHECK(run.contains("dump root " + root + " is not writable"));
    }
    SECTION("a database on the target that pg-migrate did not create is left alone") {
        p.target.exec("CREATE DATABASE plain_db");
        p.target.exec("CREATE TABLE precious AS SELECT 42 AS answer", "plain_db");
        auto run = run_pg_migrate(p.source, p.target, p.home.path());
        INFO(run.output);
        CHECK(run.exit_code == 1);
        CHECK(run.contains("database \"plain_db\" already exists on the target server"));
        CHECK(run.contains("all 4 database(s)") == false);
        CHECK(p.target.scalar("SELECT answer FROM precious", "plain_db") == "42");
        CHECK(table_counts(p.source, "owned_db") == table_counts(p.target, "owned_db"));
    }
    SECTION("saved settings of another target are never applied to this one") {
        auto state = p.home.path() / "pg_migrate_state";
        fs::create_directories(state);
        std::ofstream(state / "dst_settings.json")
            << R"({"format": "pg-migrate-target-settings/1", "server": "target server 10.9.9.9:5432",)"
            << R"( "settings": [{"name": "fsync", "auto_conf": null}]})";
        auto run = run_pg_migrate(p.source, p.target, p.home.path());
        INFO(run.output);
        CHECK(run.exit_code == 5);
        CHECK(run.contains("holds the settings of the target server 10.9.9.9:5432"));
        CHECK(fs::exists(state / "dst_settings.json"));
        fs::remove(state / "dst_settings.json");
    }
    SECTION("corrupt and foreign state files are named, never trusted") {
        auto verify = p.home.path() / "pg_verify_state";
        fs::create_directories(verify);
        std::ofstream(verify / "plain_db.source_figures.json") << "{\"tables\": [";
        std::ofstream(verify / "owned_db.source_figures.json")
            << "{\"format\": \"something-else/2\"}";
        auto run = run_pg_migrate(p.source, p.target, p.home.path());
        INFO(run.output);
        CHECK(run.exit_code == 1);
        CHECK(run.contains((verify / "plain_db.source_figures.json").string() + " is corrupt"));
        CHECK(run.contains((verify / "owned_db.source_figures.json").string() +
                           " is not a pg-migrate"));
        fs::remove(verify / "plain_db.source_figures.json");
        fs::remove(verify / "owned_db.source_figures.json");
        p.expect_complete_rerun();
    }
    CHECK(target_settings(p.target) == settings_before);
}

TEST_CASE("one run at a time: a held lock names its PID, a stale one is taken over") {
    Pair p;
    auto state = p.home.path() / "pg_migrate_state";
    fs::create_directories(state);
    {
        pgmigrate::pipeline::RunLock held(state / "lock");
        auto run = run_pg_migrate(p.source, p.target, p.home.path());
        INFO(run.output);
        CHECK(run.exit_code == 5);
        CHECK(run.contains("(PID " + std::to_string(::getpid()) + ")"));
    }
    std::ofstream(state / "lock") << "999999\n";  // a dead holder, no flock
    p.expect_complete_rerun();
}

TEST_CASE(
    "passwords never reach argv, logs or state files; .pgpass works; the source is untouched") {
    Pair p;
    std::string before = source_fingerprint(p.source);
    std::vector<std::string> leaks;
    MigrateOptions o;
    o.env = {{"RUST_LOG", "trace"}};
    o.kill_when = [&](const std::string& line) {
        if (line.find("] dumping") == std::string::npos &&
            line.find("] restoring") == std::string::npos)
            return false;
        for (const auto& entry : fs::directory_iterator("/proc")) {
            std::string cmdline = read_all(entry.path() / "cmdline");
            for (auto& c : cmdline)
                if (c == '\0') c = ' ';
            if (cmdline.find("pg_dump") == std::string::npos &&
                cmdline.find("pg_restore") == std::string::npos &&
                cmdline.find("pg-migrate") == std::string::npos)
                continue;
            for (const auto& pw : {p.source.password(), p.target.password()})
                if (cmdline.find(pw) != std::string::npos) leaks.push_back(cmdline);
        }
        return false;
    };
    o.extra_args = {"--from-pass", p.source.password()};  // even given on the command line
    auto run = run_pg_migrate(p.source, p.target, p.home.path(), o);
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(leaks.empty());
    CHECK(run.contains("running /"));                // trace logs the child command lines...
    CHECK_FALSE(run.contains(p.source.password()));  // ...without secrets
    CHECK_FALSE(run.contains(p.target.password()));
    for (const auto& f : fs::recursive_directory_iterator(p.home.path())) {
        if (!f.is_regular_file() || f.path().string().find("pg_dumps") != std::string::npos)
            continue;
        std::string text = read_all(f.path());
        CHECK(text.find(p.source.password()) == std::string::npos);
        CHECK(text.find(p.target.password()) == std::string::npos);
    }
    CHECK(source_fingerprint(p.source) == before);

    // Passwords from ~/.pgpass instead of flags or variables.
    TempDir home2("pgm-pgpass");
    std::ofstream(home2.path() / ".pgpass")
        << "127.0.0.1:" << p.source.port() << ":*:postgres:" << p.source.password() << "\n"
        << "127.0.0.1:" << p.target.port() << ":*:postgres:" << p.target.password() << "\n";
    fs::permissions(home2.path() / ".pgpass", fs::perms::owner_read | fs::perms::owner_write);
    for (const auto& db : scenario_databases())
        p.target.exec("DROP DATABASE " + pgmigrate::pg::quote_ident(db) + " WITH (FORCE)");
    auto viapgpass = run_pg_migrate(p.source, p.target, home2.path(), {.pass_passwords = false});
    INFO(viapgpass.output);
    CHECK(viapgpass.exit_code == 0);
}

TEST_CASE("TLS options reach libpq and the child tools") {
    PgServer source({.name = "tlssrc", .password = "Tls-Src-Pw", .tls_only = true});
    PgServer target({.name = "tlsdst"});
    source.exec("CREATE DATABASE tls_db");
    source.exec("CREATE TABLE t AS SELECT generate_series(1, 100) AS id", "tls_db");
    TempDir home("pgm-tls");

    auto plain =
        run_pg_migrate(source, target, home.path(), {.extra_args = {"--from-sslmode", "disable"}});
    INFO(plain.output);
    CHECK(plain.exit_code == 3);
    CHECK(plain.contains("no encryption"));

    // verify-full needs the CA file: pg_dump and pg_dumpall only succeed if they were given it.
    auto verified =
        run_pg_migrate(source, target, home.path(),
                       {.extra_args = {"--from-sslmode", "verify-full", "--from-sslrootcert",
                                       source.certificate().string()}});
    INFO(verified.output);
    CHECK(verified.exit_code == 0);
    CHECK(target.scalar("SELECT count(*) FROM t", "tls_db") == "100");
}

TEST_CASE("database and role names with quotes, spaces, newlines and non-ASCII characters") {
    PgServer source({.name = "nsrc"});
    PgServer target({.name = "ndst"});
    const std::string db = "line\nbreak 'q' \"dq\" ü";
    const std::string role = "role\nwith \"quotes\" ø";
    source.exec("CREATE ROLE " + pgmigrate::pg::quote_ident(role) + " LOGIN PASSWORD 'Nl-Pw-1'");
    source.exec("CREATE DATABASE " + pgmigrate::pg::quote_ident(db) + " OWNER " +
                pgmigrate::pg::quote_ident(role));
    source.exec(
        "CREATE TABLE \"tab\nle ü\" (id int); INSERT INTO \"tab\nle ü\" SELECT generate_series(1, "
        "77)",
        db);
    TempDir home("pgm-names");
    auto run = run_pg_migrate(
        source, target, home.path(),
        {.extra_args = {"--delay-table-data", pgmigrate::pg::quote_ident(db) + ".\"tab\nle ü\""}});
    INFO(run.output);
    REQUIRE(run.exit_code == 0);
    CHECK(target.scalar("SELECT count(*) FROM \"tab\nle ü\"", db) == "77");
    CHECK(target.scalar("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = " +
                        pgmigrate::pg::quote_literal(db)) == role);
    CHECK(fs::exists(home.path() / "pg_migrate_state" /
                     (pgmigrate::util::encode_file_name(db) + ".delayed_restored")));
}

TEST_CASE("a created marker without recorded inputs (an older release's) is never trusted") {
    Pair p;
    // The first release wrote "<db>.created" as plain text before CREATE DATABASE, so it proves
    // nothing about the database of that name: here one the operator made, with data in it.
    auto state = p.home.path() / "pg_migrate_state";
    fs::create_directories(state);
    std::ofstream(state / "owned_db.created") << "owned_db\n";
    p.target.exec("CREATE DATABASE owned_db");
    p.target.exec("CREATE TABLE mine (x int); INSERT INTO mine VALUES (7)", "owned_db");
    auto run = run_pg_migrate(p.source, p.target, p.home.path());
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK(run.contains("--restart-database owned_db"));
    CHECK(p.target.scalar("SELECT x FROM mine", "owned_db") == "7");  // not dropped

    // --restart-database forgets the marker; the database is still not ours and stays.
    auto restart = run_pg_migrate(p.source, p.target, p.home.path(),
                                  {.extra_args = {"--restart-database", "owned_db"}});
    INFO(restart.output);
    CHECK(restart.exit_code == 1);
    CHECK(restart.contains("was not created by pg-migrate"));
    CHECK(p.target.scalar("SELECT x FROM mine", "owned_db") == "7");

    p.target.exec("DROP DATABASE owned_db");
    auto again = run_pg_migrate(p.source, p.target, p.home.path());
    INFO(again.output);
    REQUIRE(again.exit_code == 0);
    CHECK(p.target.scalar(
              "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'owned_db'") ==
          "app_owner");
    CHECK(table_counts(p.source, "owned_db") == table_counts(p.target, "owned_db"));
}
