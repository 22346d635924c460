#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "pgmigrate/util/atomic_file.hpp"
#include "pgmigrate/util/error.hpp"

namespace fs = std::filesystem;
using namespace pgmigrate::util;

namespace {
struct TempDirectory {
    fs::path path = fs::temp_directory_path() / ("pgm-atomic-" + std::to_string(::getpid()));
    TempDirectory() { fs::create_directories(path); }
    ~TempDirectory() { fs::remove_all(path); }
};
}  // namespace

TEST_CASE("an atomic write replaces the whole file, private, and leaves no temporary behind") {
    TempDirectory dir;
    auto file = dir.path / "state.json";
    CHECK_FALSE(read_file(file).has_value());
    write_file_atomic(file, "first");
    write_file_atomic(file, "second, longer");
    CHECK(read_file(file) == std::optional<std::string>("second, longer"));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path)) ++entries;
    CHECK(entries == 1);
}

TEST_CASE("a write that cannot happen names the file and is a local error") {
    TempDirectory dir;
    auto file = dir.path / "missing-dir" / "x";
    try {
        write_file_atomic(file, "x");
        FAIL("no error");
    } catch (const pgmigrate::Error& e) {
        CHECK(e.code() == pgmigrate::ExitCode::local);
        CHECK(std::string(e.what()).find(file.string()) != std::string::npos);
    }
}
