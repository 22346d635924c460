// The state directory: step markers, JSON files and the run lock.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "pgmigrate/pipeline/state.hpp"

using namespace pgmigrate::pipeline;
namespace fs = std::filesystem;

TEST_CASE("state markers and JSON files are atomic and validated") {
    fs::path home = fs::temp_directory_path() / ("pgm-unit-" + std::to_string(::getpid()));
    fs::remove_all(home);
    StateStore st(home, home / "dumps");
    st.prepare();
    CHECK_FALSE(st.has("my db", Step::dumped));
    StepInputs in;
    in.source = {"7001", "a:5432"};
    in.target = {"7002", "b:5432"};
    st.write_marker("my db", Step::dumped, make_marker("my db", Step::dumped, in, {}));
    CHECK(st.has("my db", Step::dumped));
    CHECK(fs::exists(home / "pg_migrate_state" / "my%20db.dumped"));
    CHECK(st.read_markers("my db").count(Step::dumped) == 1);
    // A marker of another database (or from an older release) is refused by name.
    fs::copy_file(st.marker_path("my db", Step::dumped), st.marker_path("other", Step::dumped));
    CHECK_THROWS_WITH(st.read_marker("other", Step::dumped), Catch::Contains("--restart-database"));
    st.clear_marker("my db", Step::dumped);
    CHECK_FALSE(st.has("my db", Step::dumped));
    CHECK(st.dump_dir("my db") == home / "dumps" / "my%20db");

    auto file = st.source_figures_file("db", false);
    CHECK(file == home / "pg_verify_state" / "db.source_figures.json");
    CHECK_FALSE(st.read_json(file, "fmt/1").has_value());
    st.write_json(file, "fmt/1", {{"x", 1}});
    CHECK((*st.read_json(file, "fmt/1"))["x"] == 1);
    CHECK_THROWS_WITH(st.read_json(file, "other/1"), Catch::Contains(file.string()));
    std::ofstream(file) << "{ not json";
    CHECK_THROWS_WITH(st.read_json(file, "fmt/1"), Catch::Contains("corrupt"));
    for (auto& e : fs::directory_iterator(home / "pg_verify_state"))
        CHECK(e.path().filename().string().find(".tmp") == std::string::npos);

    {
        RunLock lock(st.lock_file());
        CHECK_THROWS_WITH(RunLock(st.lock_file()), Catch::Contains(std::to_string(::getpid())));
    }
    RunLock again(st.lock_file());  // released with the first
    fs::remove_all(home);
}
