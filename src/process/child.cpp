#include "pgmigrate/process/child.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <map>

#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/error.hpp"
#include "pgmigrate/util/fd.hpp"

extern char** environ;

namespace pgmigrate::process {
namespace {

constexpr size_t kStderrTailLines = 15;
constexpr auto kGracePeriod = std::chrono::seconds(5);

std::vector<std::string> build_environment(const Command& command) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string entry(*e);
        auto eq = entry.find('=');
        if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    for (const auto& [key, value] : command.environment) env[key] = value;
    std::vector<std::string> out;
    for (const auto& [key, value] : env) out.push_back(key + "=" + value);
    return out;
}

// Accumulates bytes from a pipe and hands out complete lines.
class LineSplitter {
  public:
    template <typename F>
    void feed(const char* data, size_t n, F&& on_line) {
        buffer_.append(data, n);
        size_t pos;
        while ((pos = buffer_.find('\n')) != std::string::npos) {
            on_line(buffer_.substr(0, pos));
            buffer_.erase(0, pos + 1);
        }
    }
    template <typename F>
    void finish(F&& on_line) {
        if (!buffer_.empty()) on_line(buffer_);
        buffer_.clear();
    }

  private:
    std::string buffer_;
};

}  // namespace

std::string Command::display() const {
    std::string out = program;
    for (const auto& arg : args) {
        bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$") == std::string::npos;
        out += " ";
        if (plain) {
            out += arg;
        } else {
            out += "'";
            for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
            out += "'";
        }
    }
    return out;
}

std::string Outcome::status_text() const {
    if (cancelled) return "cancelled";
    if (signal != 0) return fmt::format("killed by signal {} ({})", signal, ::strsignal(signal));
    return fmt::format("exited with code {}", exit_code);
}

void block_termination_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Outcome run(const Command& command, const LineSink& on_stderr_line) {
    spdlog::debug("{}: running {}", command.label, command.display());

    // Everything the child needs is prepared before fork: only async-signal-safe calls after.
    std::vector<std::string> env_strings = build_environment(command);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings{command.program};
    argv_strings.insert(argv_strings.end(), command.args.begin(), command.args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    util::Fd stdout_fd;
    if (command.stdout_file) {
        stdout_fd.reset(
            ::open(command.stdout_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!stdout_fd.valid())
            throw Error(ExitCode::local,
                        fmt::format("{}: cannot open {}: {}", command.label,
                                    command.stdout_file->string(), std::strerror(errno)));
    }
    util::Pipe out_pipe = util::make_pipe();
    util::Pipe err_pipe = util::make_pipe();
    util::Pipe exec_pipe = util::make_pipe();
    util::Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    pid_t parent = ::getpid();

    pid_t pid = ::fork();
    if (pid < 0) {
        throw Error(ExitCode::local,
                    fmt::format("{}: fork failed: {}", command.label, std::strerror(errno)));
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        if (devnull.valid()) ::dup2(devnull.get(), STDIN_FILENO);
        ::dup2(stdout_fd.valid() ? stdout_fd.get() : out_pipe.write.get(), STDOUT_FILENO);
        ::dup2(err_pipe.write.get(), STDERR_FILENO);
        if (command.program.find('/') != std::string::npos)
            ::execve(command.program.c_str(), argv.data(), envp.data());
        else
            ::execvpe(command.program.c_str(), argv.data(), envp.data());
        int err = errno;
        ssize_t ignored = ::write(exec_pipe.write.get(), &err, sizeof err);
        (void)ignored;
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also from the parent, so the group exists before any kill
    stdout_fd.reset();
    devnull.reset();
    out_pipe.write.reset();
    err_pipe.write.reset();
    exec_pipe.write.reset();

    Outcome outcome;
    int exec_errno = 0;
    if (::read(exec_pipe.read.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
        ::waitpid(pid, nullptr, 0);
        throw Error(ExitCode::local, fmt::format("{}: cannot run {}: {}", command.label,
                                                 command.program, std::strerror(exec_errno)));
    }

    if (command.on_started) command.on_started(pid);

    std::deque<std::string> tail;
    LineSplitter err_lines;
    auto on_line = [&](const std::string& line) {
        tail.push_back(line);
        if (tail.size() > kStderrTailLines) tail.pop_front();
        if (on_stderr_line) on_stderr_line(line);
    };
    if (command.stdout_file) out_pipe.read.reset();

    std::optional<std::chrono::steady_clock::time_point> terminated_at;
    bool killed = false;
    char buf[8192];
    while (out_pipe.read.valid() || err_pipe.read.valid()) {
        if (cancel::requested() && !terminated_at) {
            ::kill(-pid, SIGTERM);
            terminated_at = std::chrono::steady_clock::now();
            outcome.cancelled = true;
        }
        if (terminated_at && !killed &&
            std::chrono::steady_clock::now() - *terminated_at > kGracePeriod) {
            ::kill(-pid, SIGKILL);
            killed = true;
        }
        pollfd fds[2];
        nfds_t n = 0;
        if (out_pipe.read.valid()) fds[n++] = {out_pipe.read.get(), POLLIN, 0};
        if (err_pipe.read.valid()) fds[n++] = {err_pipe.read.get(), POLLIN, 0};
        int ready = ::poll(fds, n, 200);
        if (ready < 0 && errno != EINTR) break;
        for (nfds_t i = 0; i < n; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            bool is_err = fds[i].fd == err_pipe.read.get();
            if (got <= 0) {
                if (is_err) {
                    err_lines.finish(on_line);
                    err_pipe.read.reset();
                } else {
                    out_pipe.read.reset();
                }
            } else if (is_err) {
                err_lines.feed(buf, static_cast<size_t>(got), on_line);
            } else {
                outcome.stdout_text.append(buf, static_cast<size_t>(got));
            }
        }
    }

    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    // Reap any stragglers of the group (pg_dump -j workers) so nothing outlives us.
    ::kill(-pid, SIGKILL);
    if (WIFSIGNALED(status)) {
        outcome.signal = WTERMSIG(status);
    } else if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
    }
    outcome.stderr_tail.assign(tail.begin(), tail.end());
    spdlog::debug("{}: {}", command.label, outcome.status_text());
    return outcome;
}

Outcome run_checked(const Command& command, const LineSink& on_stderr_line, ExitCode error_code) {
    Outcome outcome = run(command, on_stderr_line);
    if (outcome.cancelled) throw Cancelled();
    if (!outcome.ok()) {
        std::string tail;
        for (const auto& line : outcome.stderr_tail) tail += "\n    " + line;
        throw Error(error_code,
                    fmt::format("{} {}{}", command.label, outcome.status_text(),
                                tail.empty() ? std::string(" (no error output)") : ":" + tail));
    }
    return outcome;
}

}  // namespace pgmigrate::process
