#pragma once
// For unit tests of what changes process-wide state for good (cancel::request cannot be undone):
// the body runs in a forked copy of the test binary and its return value comes back.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>

namespace pgmigrate::testing {

// The body's return value, 99 when it threw, 128 + N when signal N ended it.
inline int in_subprocess(const std::function<int()>& body) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        int rc = 99;
        try {
            rc = body();
        } catch (...) {
        }
        ::_exit(rc);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace pgmigrate::testing
