#pragma once
// The bottom block of a terminal that is redrawn in place (live progress), with log lines
// printed above it. Only used when stderr is a TTY; otherwise nothing here writes escape codes.
#include <mutex>
#include <string>
#include <vector>

namespace pgmigrate::util {

class LiveArea {
  public:
    static LiveArea& instance();

    void enable();  // called once when stderr is a TTY
    bool enabled() const;
    // Writes a finished line above the live block (the block is redrawn below it).
    void print_above(const std::string& text);
    // Replaces the live block's lines.
    void update(std::vector<std::string> lines);
    // Erases the live block for good (end of run).
    void close();

  private:
    void erase_locked();
    void draw_locked();

    mutable std::mutex mutex_;
    bool enabled_ = false;
    std::vector<std::string> lines_;
    size_t drawn_ = 0;
};

}  // namespace pgmigrate::util
