#include "pgmigrate/process/pg_tools.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <sstream>
#include <vector>

#include "pgmigrate/process/child.hpp"
#include "pgmigrate/util/error.hpp"

namespace pgmigrate::process {
namespace fs = std::filesystem;

std::optional<ToolVersion> parse_tool_version(const std::string& version_output) {
    static const std::regex re(R"(\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?)");
    std::smatch m;
    if (!std::regex_search(version_output, m, re)) return std::nullopt;
    ToolVersion v;
    // For 9.x "major" is 9 here, which is all the version checks need (server_version / 10000).
    v.major = std::stoi(m[1].str());
    v.text = m[1].str();
    for (int part : {2, 3})
        if (m[part].matched) v.text += fmt::format(".{}", m[part].str());
    return v;
}

ToolVersion query_tool_version(const fs::path& program) {
    Command cmd;
    cmd.program = program.string();
    cmd.args = {"--version"};
    cmd.label = program.filename().string();
    Outcome out = run(cmd, {});
    auto v = parse_tool_version(out.stdout_text);
    if (!out.ok() || !v)
        throw Error(ExitCode::local, fmt::format("{} --version failed ({}): {}", program.string(),
                                                 out.status_text(), out.stdout_text));
    return *v;
}

namespace {

bool has_tools(const fs::path& dir) {
    std::error_code ec;
    for (const char* name : {"pg_dump", "pg_dumpall", "pg_restore"}) {
        if (!fs::is_regular_file(dir / name, ec) && !fs::is_symlink(dir / name, ec)) return false;
        if (::access((dir / name).c_str(), X_OK) != 0) return false;
    }
    return true;
}

ClientTools tools_in(const fs::path& dir) {
    ClientTools tools;
    tools.dir = dir;
    tools.pg_dump = dir / "pg_dump";
    tools.pg_dumpall = dir / "pg_dumpall";
    tools.pg_restore = dir / "pg_restore";
    tools.version = query_tool_version(tools.pg_dump);
    return tools;
}

std::vector<fs::path> candidate_dirs() {
    std::vector<fs::path> dirs;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        std::string item;
        while (std::getline(ss, item, ':'))
            if (!item.empty()) dirs.emplace_back(item);
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
        dirs.push_back(entry.path() / "bin");
    return dirs;
}

}  // namespace

ClientTools find_client_tools(const std::optional<fs::path>& bin_dir) {
    if (bin_dir) {
        if (!has_tools(*bin_dir))
            throw Error(ExitCode::local,
                        fmt::format("--pg-bin-dir {}: pg_dump, pg_dumpall and pg_restore must all "
                                    "be there and executable",
                                    bin_dir->string()));
        return tools_in(*bin_dir);
    }
    std::optional<ClientTools> best;
    for (const auto& dir : candidate_dirs()) {
        if (!has_tools(dir)) continue;
        try {
            ClientTools tools = tools_in(dir);
            spdlog::debug("found client tools {} in {}", tools.version.text, dir.string());
            if (!best || tools.version.major > best->version.major) best = std::move(tools);
        } catch (const Error& e) {
            spdlog::debug("ignoring client tools in {}: {}", dir.string(), e.what());
        }
    }
    if (!best)
        throw Error(ExitCode::local,
                    "pg_dump, pg_dumpall and pg_restore were not found on PATH or in "
                    "/usr/lib/postgresql/*/bin; install the PostgreSQL client tools "
                    "(e.g. apt-get install postgresql-client) or pass --pg-bin-dir");
    return *best;
}

}  // namespace pgmigrate::process
