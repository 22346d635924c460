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
#include <thread>

#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/error.hpp"
#include "pgmigrate/util/fd.hpp"

extern char** environ;

namespace pgmigrate::process {
namespace {

constexpr size_t kStderrTailLines = 15;
constexpr auto kPollInterval = std::chrono::milliseconds(200);

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

// argv and envp for execve, built before fork: after fork only async-signal-safe calls.
class ExecImage {
  public:
    explicit ExecImage(const Command& command) : env_(build_environment(command)) {
        args_.push_back(command.program);
        args_.insert(args_.end(), command.args.begin(), command.args.end());
        for (auto& s : args_) argv_.push_back(s.data());
        argv_.push_back(nullptr);
        for (auto& s : env_) envp_.push_back(s.data());
        envp_.push_back(nullptr);
    }
    ExecImage(const ExecImage&) = delete;
    ExecImage& operator=(const ExecImage&) = delete;
    char* const* argv() const { return argv_.data(); }
    char* const* envp() const { return envp_.data(); }

  private:
    std::vector<std::string> args_, env_;
    std::vector<char*> argv_, envp_;
};

// The descriptors the child's stdin, stdout and stderr become, and the pipe that reports a
// failed exec.
struct ChildFds {
    int in, out, err, exec_status;
};

// In the forked child: never returns.
[[noreturn]] void exec_child(const std::string& program, const ExecImage& image,
                             const ChildFds& fds, pid_t parent) {
    ::setpgid(0, 0);
    // PR_SET_PDEATHSIG fires when the *thread* that forked exits, not the process (prctl(2)).
    // That is right here: run() does not return on that thread before the child is reaped, so
    // the thread can only go first when pg-migrate itself dies, which is when the child must go.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl: no signal would come
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGPIPE, SIG_DFL);
    if (fds.in >= 0) ::dup2(fds.in, STDIN_FILENO);
    ::dup2(fds.out, STDOUT_FILENO);
    ::dup2(fds.err, STDERR_FILENO);
    if (program.find('/') != std::string::npos)
        ::execve(program.c_str(), image.argv(), image.envp());
    else
        ::execvpe(program.c_str(), image.argv(), image.envp());
    int err = errno;
    ssize_t ignored = ::write(fds.exec_status, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

// A started child: its pid (and process group) until reaped, and the read ends of its stdout
// and stderr. A child still unreaped when this goes (an exception left run) is killed with its
// group and reaped: the group id is still its own then, as the leader is not yet reaped.
struct Child {
    pid_t pid = -1;
    util::Fd out;  // not valid when stdout goes to Command::stdout_file
    util::Fd err;

    Child() = default;
    Child(Child&& other) noexcept
        : pid(std::exchange(other.pid, -1)), out(std::move(other.out)), err(std::move(other.err)) {}
    Child& operator=(Child&&) = delete;
    ~Child() {
        if (pid <= 0) return;
        ::kill(-pid, SIGKILL);
        while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
    }
};

util::Fd open_stdout_file(const Command& command) {
    if (!command.stdout_file) return {};
    util::Fd fd(
        ::open(command.stdout_file->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid())
        throw Error(ExitCode::local,
                    fmt::format("{}: cannot open {}: {}", command.label,
                                command.stdout_file->string(), std::strerror(errno)));
    return fd;
}

// Forks and execs the command in its own process group. Throws pgmigrate::Error when the
// program cannot be started; every descriptor opened here is owned, so none leaks then.
Child spawn(const Command& command) {
    ExecImage image(command);
    util::Fd stdout_file = open_stdout_file(command);
    util::Pipe out = stdout_file.valid() ? util::Pipe{} : util::make_pipe();
    util::Pipe err = util::make_pipe();
    util::Pipe exec_status = util::make_pipe();
    util::Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    ChildFds fds{devnull.get(), stdout_file.valid() ? stdout_file.get() : out.write.get(),
                 err.write.get(), exec_status.write.get()};
    pid_t parent = ::getpid();

    Child child;
    child.pid = ::fork();
    if (child.pid < 0)
        throw Error(ExitCode::local,
                    fmt::format("{}: fork failed: {}", command.label, std::strerror(errno)));
    if (child.pid == 0) exec_child(command.program, image, fds, parent);
    ::setpgid(child.pid, child.pid);  // also from the parent, so the group exists before any kill
    child.out = std::move(out.read);
    child.err = std::move(err.read);
    exec_status.write.reset();  // now only the child holds it: EOF once exec succeeded

    int exec_errno = 0;
    ssize_t got;
    while ((got = ::read(exec_status.read.get(), &exec_errno, sizeof exec_errno)) < 0 &&
           errno == EINTR) {
    }
    if (got == sizeof exec_errno)
        throw Error(ExitCode::local, fmt::format("{}: cannot run {}: {}", command.label,
                                                 command.program, std::strerror(exec_errno)));
    return child;
}

// Cancellation of a running child: SIGTERM to its group once requested, SIGKILL after grace.
class CancelEscalation {
  public:
    CancelEscalation(pid_t group, std::chrono::milliseconds grace) : group_(group), grace_(grace) {}
    // Called between reads and waits while the child runs.
    void check() {
        auto now = std::chrono::steady_clock::now();
        if (!terminated_at_ && cancel::requested()) {
            ::kill(-group_, SIGTERM);
            terminated_at_ = now;
        } else if (terminated_at_ && !killed_ && now - *terminated_at_ >= grace_) {
            ::kill(-group_, SIGKILL);
            killed_ = true;
        }
    }
    bool cancelled() const { return terminated_at_.has_value(); }

  private:
    pid_t group_;
    std::chrono::milliseconds grace_;
    std::optional<std::chrono::steady_clock::time_point> terminated_at_;
    bool killed_ = false;
};

// The child's stderr: whole lines to the sink, the last kStderrTailLines kept for the message.
class StderrLines {
  public:
    explicit StderrLines(const LineSink& sink) : sink_(sink) {}
    void feed(const char* data, size_t n) {
        buffer_.append(data, n);
        size_t pos;
        while ((pos = buffer_.find('\n')) != std::string::npos) {
            line(buffer_.substr(0, pos));
            buffer_.erase(0, pos + 1);
        }
    }
    void finish() {
        if (!buffer_.empty()) line(buffer_);
        buffer_.clear();
    }
    std::vector<std::string> tail() const { return {tail_.begin(), tail_.end()}; }

  private:
    void line(const std::string& text) {
        tail_.push_back(text);
        if (tail_.size() > kStderrTailLines) tail_.pop_front();
        if (sink_) sink_(text);
    }
    const LineSink& sink_;
    std::string buffer_;
    std::deque<std::string> tail_;
};

// Reads the child's stdout and stderr until both are closed, checking for cancellation between
// reads.
void pump(Child& child, CancelEscalation& escalation, std::string& stdout_text,
          StderrLines& stderr_lines) {
    char buf[8192];
    while (child.out.valid() || child.err.valid()) {
        escalation.check();
        pollfd fds[2];
        nfds_t n = 0;
        if (child.out.valid()) fds[n++] = {child.out.get(), POLLIN, 0};
        if (child.err.valid()) fds[n++] = {child.err.get(), POLLIN, 0};
        int ready = ::poll(fds, n, static_cast<int>(kPollInterval.count()));
        if (ready < 0 && errno != EINTR) return;  // reap still waits for the child
        for (nfds_t i = 0; i < n; ++i) {
            if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            bool is_err = fds[i].fd == child.err.get();
            ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0 && is_err) {
                stderr_lines.finish();
                child.err.reset();
            } else if (got <= 0) {
                child.out.reset();
            } else if (is_err) {
                stderr_lines.feed(buf, static_cast<size_t>(got));
            } else {
                stdout_text.append(buf, static_cast<size_t>(got));
            }
        }
    }
}

// Waits for the child to exit (still escalating a cancellation: a child may close its pipes and
// linger), then kills what is left of its group (pg_dump -j workers), and only then reaps it.
// Until the leader is reaped its pid, the group id, cannot be handed to another process, so the
// kill never reaches a stranger. Returns the wait status.
int reap(Child& child, CancelEscalation& escalation) {
    for (;;) {
        siginfo_t info{};
        int rc = ::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOHANG | WNOWAIT);
        if (rc == 0 && info.si_pid == child.pid) break;
        if (rc < 0 && errno != EINTR) break;
        escalation.check();
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(-child.pid, SIGKILL);
    int status = 0;
    while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
    }
    child.pid = -1;
    return status;
}

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
    Child child = spawn(command);
    if (command.on_started) command.on_started(child.pid);

    CancelEscalation escalation(child.pid, command.cancel_grace);
    Outcome outcome;
    StderrLines stderr_lines(on_stderr_line);
    pump(child, escalation, outcome.stdout_text, stderr_lines);
    int status = reap(child, escalation);
    outcome.cancelled = escalation.cancelled();
    if (WIFSIGNALED(status)) {
        outcome.signal = WTERMSIG(status);
    } else if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
    }
    outcome.stderr_tail = stderr_lines.tail();
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
