#include "pgmigrate/util/fd.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "pgmigrate/util/error.hpp"

namespace pgmigrate::util {

void Fd::reset(int fd) noexcept {
    // Linux releases the descriptor even when close() reports EINTR: never retry.
    if (fd_ >= 0 && fd_ != fd) ::close(fd_);
    fd_ = fd;
}

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw Error(ExitCode::local, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
    return Pipe{Fd(fds[0]), Fd(fds[1])};
}

}  // namespace pgmigrate::util
