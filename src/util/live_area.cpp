#include "pgmigrate/util/live_area.hpp"

#include <unistd.h>

namespace pgmigrate::util {
namespace {
void write_all(const std::string& s) {
    const char* p = s.data();
    size_t left = s.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n <= 0) return;
        p += n;
        left -= static_cast<size_t>(n);
    }
}
}  // namespace

LiveArea& LiveArea::instance() {
    static LiveArea area;
    return area;
}

void LiveArea::enable() {
    std::lock_guard lock(mutex_);
    enabled_ = true;
}

bool LiveArea::enabled() const {
    std::lock_guard lock(mutex_);
    return enabled_;
}

void LiveArea::erase_locked() {
    std::string s;
    for (size_t i = 0; i < drawn_; ++i) s += "\x1b[1A\x1b[2K";
    s += "\r";
    write_all(s);
    drawn_ = 0;
}

void LiveArea::draw_locked() {
    std::string s;
    for (const auto& line : lines_) s += line + "\x1b[K\n";
    write_all(s);
    drawn_ = lines_.size();
}

void LiveArea::print_above(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (!enabled_) {
        write_all(text);
        return;
    }
    erase_locked();
    write_all(text);
    draw_locked();
}

void LiveArea::update(std::vector<std::string> lines) {
    std::lock_guard lock(mutex_);
    if (!enabled_) return;
    erase_locked();
    lines_ = std::move(lines);
    draw_locked();
}

void LiveArea::close() {
    std::lock_guard lock(mutex_);
    if (!enabled_) return;
    erase_locked();
    lines_.clear();
    enabled_ = false;
}

}  // namespace pgmigrate::util
