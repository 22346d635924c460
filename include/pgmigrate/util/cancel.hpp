#pragma once
// Process-wide cancellation: set once by the signal thread, polled by every long operation.
#include <atomic>

namespace pgmigrate::cancel {

// The signal that cancelled the run, or 0 while it runs on.
int signal_number() noexcept;
bool requested() noexcept;
void request(int signo) noexcept;
// Throws pgmigrate::Cancelled when cancellation was requested.
void throw_if_requested();

}  // namespace pgmigrate::cancel

namespace pgmigrate::cancel {

// While alive, requested() is false on this thread: cleanup that must still run after a signal
// (putting target settings back) uses it.
class Shield {
  public:
    Shield();
    ~Shield();
    Shield(const Shield&) = delete;
    Shield& operator=(const Shield&) = delete;

  private:
    bool previous_;
};

}  // namespace pgmigrate::cancel
