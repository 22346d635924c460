#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "../subprocess.hpp"
#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/error.hpp"

using namespace pgmigrate::process;
using pgmigrate::testing::in_subprocess;

namespace {
Command shell(const std::string& script) {
    Command cmd;
    cmd.program = "/bin/sh";
    cmd.args = {"-c", script};
    cmd.label = "sh";
    return cmd;
}

// Gone, or a zombie waiting for whoever inherited it: either way it runs no more.
bool stopped(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close = text.rfind(')');
    return text.empty() || (close != std::string::npos && text.substr(close + 2, 1) == "Z");
}
}  // namespace

TEST_CASE("a child gets its own environment, stderr lines, exit codes and signals") {
    Command cmd = shell("echo out; echo \"pw=$PGPASSWORD\" >&2; echo second >&2; exit 3");
    cmd.environment = {{"PGPASSWORD", "child-only-secret"}};
    std::vector<std::string> lines;
    auto out = run(cmd, [&](const std::string& l) { lines.push_back(l); });
    CHECK(out.exit_code == 3);
    CHECK(out.stdout_text == "out\n");
    CHECK(lines == std::vector<std::string>{"pw=child-only-secret", "second"});
    CHECK(::getenv("PGPASSWORD") == nullptr);
    CHECK(out.status_text() == "exited with code 3");

    cmd = shell("kill -9 $$");
    out = run(cmd, {});
    CHECK(out.signal == 9);
    CHECK_THROWS_WITH(run_checked(cmd, {}, pgmigrate::ExitCode::source),
                      Catch::Contains("killed by signal 9"));

    cmd.program = "/nonexistent/pg_dump";
    CHECK_THROWS_WITH(run(cmd, {}), Catch::Contains("cannot run /nonexistent/pg_dump"));
}

TEST_CASE("a failure names the child, its exit code and the tail of its stderr") {
    Command cmd = shell("for i in $(seq 1 20); do echo line$i >&2; done; exit 7");
    cmd.label = "pg_dump [sales]";
    auto out = run(cmd, {});
    REQUIRE(out.stderr_tail.size() == 15);
    CHECK(out.stderr_tail.front() == "line6");
    CHECK(out.stderr_tail.back() == "line20");
    try {
        run_checked(cmd, {}, pgmigrate::ExitCode::source);
        FAIL("no error");
    } catch (const pgmigrate::Error& e) {
        std::string msg = e.what();
        CHECK(e.code() == pgmigrate::ExitCode::source);
        CHECK(msg.rfind("pg_dump [sales] exited with code 7:", 0) == 0);
        CHECK(msg.find("\n    line20") != std::string::npos);
        CHECK(msg.find("\n    line5\n") == std::string::npos);
    }
    CHECK_THROWS_WITH(run_checked(shell("exit 4"), {}, pgmigrate::ExitCode::target),
                      "sh exited with code 4 (no error output)");
}

TEST_CASE("a child that ignores SIGTERM on cancellation gets SIGKILL after the grace period") {
    int rc = in_subprocess([] {
        Command cmd = shell("trap '' TERM; echo ready >&2; while :; do sleep 0.1; done");
        cmd.cancel_grace = std::chrono::milliseconds(300);
        auto start = std::chrono::steady_clock::now();
        auto out = run(cmd, [](const std::string& line) {
            if (line == "ready") pgmigrate::cancel::request(SIGTERM);
        });
        auto took = std::chrono::steady_clock::now() - start;
        if (!out.cancelled) return 1;
        if (out.signal != SIGKILL) return 2;
        if (took < std::chrono::milliseconds(300) || took > std::chrono::seconds(5)) return 3;
        if (out.status_text() != "cancelled") return 4;
        try {
            run_checked(cmd, {}, pgmigrate::ExitCode::source);
        } catch (const pgmigrate::Cancelled&) {
            return 0;
        }
        return 5;
    });
    CHECK(rc == 0);
}

TEST_CASE("cancellation reaches a child that closed its pipes and lingers") {
    int rc = in_subprocess([] {
        Command cmd = shell(
            "trap '' TERM; echo ready >&2; exec >/dev/null 2>&1; while :; do sleep 0.1; done");
        cmd.cancel_grace = std::chrono::milliseconds(200);
        auto out = run(cmd, [](const std::string& line) {
            if (line == "ready") pgmigrate::cancel::request(SIGTERM);
        });
        return out.cancelled && out.signal == SIGKILL ? 0 : 1;
    });
    CHECK(rc == 0);
}

TEST_CASE("a child that stops on SIGTERM is not killed; a shielded run is not cancelled") {
    int rc = in_subprocess([] {
        Command cmd = shell("echo ready >&2; while :; do sleep 0.1; done");
        auto out = run(cmd, [](const std::string& line) {
            if (line == "ready") pgmigrate::cancel::request(SIGTERM);
        });
        if (!out.cancelled || out.signal != SIGTERM) return 1;
        pgmigrate::cancel::Shield shield;
        out = run(shell("exit 0"), {});
        return out.ok() ? 0 : 2;
    });
    CHECK(rc == 0);
}

TEST_CASE("what is left of the child's process group is killed when the child ends") {
    auto out = run(shell("sleep 30 >/dev/null 2>&1 & echo $!"), {});
    REQUIRE(out.exit_code == 0);
    int straggler = std::stoi(out.stdout_text);
    for (int i = 0; i < 100 && !stopped(straggler); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(stopped(straggler));
}

TEST_CASE("stdout can go to a file") {
    auto path = std::filesystem::temp_directory_path() /
                ("pgm-child-" + std::to_string(::getpid()) + ".out");
    Command cmd = shell("echo to-file");
    cmd.stdout_file = path;
    auto out = run(cmd, {});
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    std::filesystem::remove(path);
    CHECK(out.ok());
    CHECK(out.stdout_text.empty());
    CHECK(line == "to-file");
}
