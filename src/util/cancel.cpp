#include "pgmigrate/util/cancel.hpp"

#include "pgmigrate/util/error.hpp"

namespace pgmigrate::cancel {
namespace {
std::atomic<int> g_signal{0};
thread_local bool t_shielded = false;
}  // namespace

int signal_number() noexcept {
    return g_signal.load();
}
bool requested() noexcept {
    return !t_shielded && g_signal.load() != 0;
}
void request(int signo) noexcept {
    int expected = 0;
    g_signal.compare_exchange_strong(expected, signo);
}
void throw_if_requested() {
    if (requested()) throw Cancelled();
}

Shield::Shield() : previous_(t_shielded) {
    t_shielded = true;
}
Shield::~Shield() {
    t_shielded = previous_;
}

}  // namespace pgmigrate::cancel
