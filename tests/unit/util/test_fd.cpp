#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "pgmigrate/util/fd.hpp"

using pgmigrate::util::Fd;

namespace {
bool is_open(int fd) {
    return ::fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}
int open_null() {
    int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    return fd;
}
}  // namespace

TEST_CASE("Fd closes its descriptor when it goes") {
    int raw = open_null();
    {
        Fd fd(raw);
        CHECK(fd.valid());
        CHECK(fd.get() == raw);
    }
    CHECK_FALSE(is_open(raw));
    CHECK_FALSE(Fd().valid());
}

TEST_CASE("Fd moves ownership and closes exactly once") {
    int raw = open_null();
    Fd a(raw);
    Fd b(std::move(a));
    CHECK_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
    CHECK(b.get() == raw);

    int other = open_null();
    Fd c(other);
    c = std::move(b);  // c's old descriptor is closed, c now owns raw
    CHECK_FALSE(is_open(other));
    CHECK(c.get() == raw);
    CHECK(is_open(raw));
    c.reset();
    CHECK_FALSE(is_open(raw));
    CHECK_FALSE(c.valid());
}

TEST_CASE("Fd::release gives the descriptor up without closing it") {
    int raw = open_null();
    int released = -1;
    {
        Fd fd(raw);
        released = fd.release();
        CHECK_FALSE(fd.valid());
    }
    CHECK(released == raw);
    CHECK(is_open(raw));
    ::close(raw);
}

TEST_CASE("make_pipe gives two close-on-exec ends that carry bytes") {
    auto pipe = pgmigrate::util::make_pipe();
    CHECK((::fcntl(pipe.read.get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(pipe.write.get(), F_GETFD) & FD_CLOEXEC) != 0);
    REQUIRE(::write(pipe.write.get(), "x", 1) == 1);
    char c = 0;
    REQUIRE(::read(pipe.read.get(), &c, 1) == 1);
    CHECK(c == 'x');
    int read_end = pipe.read.get();
    pipe.read.reset();
    CHECK_FALSE(is_open(read_end));
}
