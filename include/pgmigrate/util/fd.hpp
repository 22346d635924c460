#pragma once
// The one owner of a file descriptor: closed when the owner goes, moved but never copied, so no
// path out of a function (return, throw) leaks or closes twice.
#include <utility>

namespace pgmigrate::util {

class Fd {
  public:
    Fd() noexcept = default;
    explicit Fd(int fd) noexcept : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    // Gives the descriptor up without closing it.
    int release() noexcept { return std::exchange(fd_, -1); }
    // Closes the held descriptor (if any) and holds fd instead.
    void reset(int fd = -1) noexcept;

  private:
    int fd_ = -1;
};

// Both ends of a pipe, close-on-exec. Throws pgmigrate::Error (local) when pipe2 fails; no
// descriptor is left open then.
struct Pipe {
    Fd read;
    Fd write;
};
Pipe make_pipe();

}  // namespace pgmigrate::util
