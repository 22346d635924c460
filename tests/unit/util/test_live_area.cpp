#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "pgmigrate/util/fd.hpp"
#include "pgmigrate/util/live_area.hpp"

using pgmigrate::util::Fd;
using pgmigrate::util::LiveArea;

namespace {
// Sends what is written to fd 2 into a file while alive; text() reads it after the fact.
class StderrCapture {
  public:
    StderrCapture()
        : path_(std::filesystem::temp_directory_path() /
                ("pgm-live-" + std::to_string(::getpid()))),
          saved_(::dup(STDERR_FILENO)) {
        Fd file(::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        REQUIRE(file.valid());
        REQUIRE(saved_.valid());
        std::fflush(stderr);
        ::dup2(file.get(), STDERR_FILENO);
    }
    ~StderrCapture() {
        restore();
        std::filesystem::remove(path_);
    }
    std::string text() {
        restore();
        std::ifstream in(path_, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

  private:
    void restore() {
        if (!saved_.valid()) return;
        std::fflush(stderr);
        ::dup2(saved_.get(), STDERR_FILENO);
        saved_.reset();
    }
    std::filesystem::path path_;
    Fd saved_;
};

const std::string kUp = "\x1b[1A\x1b[2K";  // one line up, erased
}  // namespace

TEST_CASE("without a terminal the live area writes log lines as they are, and nothing else") {
    auto& area = LiveArea::instance();
    REQUIRE_FALSE(area.enabled());
    StderrCapture capture;
    area.update({"progress 1"});
    area.print_above("a log line\n");
    area.close();
    CHECK(capture.text() == "a log line\n");
}

TEST_CASE("on a terminal log lines go above the live block, which is redrawn below them") {
    auto& area = LiveArea::instance();
    StderrCapture capture;
    area.enable();
    area.update({"db1 dumping", "db2 waiting"});
    area.print_above("log\n");
    area.update({"db1 done"});
    area.close();
    bool still_enabled = area.enabled();
    std::string out = capture.text();
    std::string block2 = "db1 dumping\x1b[K\ndb2 waiting\x1b[K\n";
    std::string expected = "\r" + block2 +                          // first draw
                           kUp + kUp + "\r" + "log\n" + block2 +    // log line above, redraw
                           kUp + kUp + "\r" + "db1 done\x1b[K\n" +  // new block
                           kUp + "\r";                              // erased at close
    CHECK(out == expected);
    CHECK_FALSE(still_enabled);
}
