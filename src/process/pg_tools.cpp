#include "pgmigrate/process/pg_tools.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
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

std::vector<fs::path> search_dirs() {
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

bool is_script(const fs::path& tool) {
    std::error_code ec;
    fs::path real = fs::canonical(tool, ec);
    std::ifstream in(ec ? tool : real, std::ios::binary);
    char magic[2] = {};
    return in.read(magic, 2) && magic[0] == '#' && magic[1] == '!';
}

namespace {

// Every searched directory holding all three tools that answer --version; directories whose
// tools are the programs themselves come before those of wrapper scripts, so that of two of the
// same major (/usr/bin and /usr/lib/postgresql/15/bin on Debian) the direct one is chosen.
std::vector<ClientTools> searched_tools() {
    std::vector<ClientTools> found;
    for (const auto& dir : search_dirs()) {
        if (!has_tools(dir)) continue;
        try {
            found.push_back(tools_in(dir));
            spdlog::debug("found client tools {} in {}", found.back().version.text, dir.string());
        } catch (const Error& e) {
            spdlog::debug("ignoring client tools in {}: {}", dir.string(), e.what());
        }
    }
    std::stable_partition(found.begin(), found.end(), [](const ClientTools& t) {
        return !is_script(t.pg_dump) && !is_script(t.pg_restore);
    });
    return found;
}

const ClientTools* newest(const std::vector<ClientTools>& tools) {
    const ClientTools* best = nullptr;
    for (const auto& t : tools)
        if (!best || t.version.major > best->version.major) best = &t;
    return best;
}

ClientTools checked_bin_dir(const fs::path& dir) {
    if (!has_tools(dir))
        throw Error(ExitCode::local,
                    fmt::format("--pg-bin-dir {}: pg_dump, pg_dumpall and pg_restore must all "
                                "be there and executable",
                                dir.string()));
    return tools_in(dir);
}

const char* const kNoTools =
    "pg_dump, pg_dumpall and pg_restore were not found beside pg-migrate (pg-tools/), on PATH "
    "or in /usr/lib/postgresql/*/bin; install the PostgreSQL client tools (e.g. apt-get "
    "install postgresql-client) or pass --pg-bin-dir";

}  // namespace

ClientTools tools_in(const fs::path& dir) {
    ClientTools tools;
    tools.dir = dir;
    tools.pg_dump = dir / "pg_dump";
    tools.pg_dumpall = dir / "pg_dumpall";
    tools.pg_restore = dir / "pg_restore";
    tools.version = query_tool_version(tools.pg_dump);
    return tools;
}

fs::path shipped_tools_dir(const fs::path& exe) {
    std::error_code ec;
    fs::path real = fs::canonical(exe, ec);
    return (ec ? exe : real).parent_path() / "pg-tools";
}

ClientTools choose_client_tools(const std::optional<ClientTools>& shipped,
                                const std::optional<ClientTools>& bin_dir,
                                const std::vector<ClientTools>& searched, int source_major,
                                int target_major) {
    // PostgreSQL promises that pg_dump reads older servers and that its output loads into the
    // same or a newer major; restoring with newer tools into an older target is not promised
    // (pg_restore 18 sets transaction_timeout, which 15 rejects).
    auto fits = [&](const ClientTools& t) {
        return t.version.major >= source_major && t.version.major <= target_major;
    };
    auto pick = [](const ClientTools& t, std::string reason) {
        ClientTools chosen = t;
        chosen.reason = std::move(reason);
        return chosen;
    };
    std::string note;
    if (shipped) {
        if (fits(*shipped))
            return pick(*shipped,
                        fmt::format("shipped PostgreSQL {} tools beside the binary (new enough for "
                                    "source {}{})",
                                    shipped->version.text, source_major,
                                    bin_dir ? fmt::format("; --pg-bin-dir {} not needed",
                                                          bin_dir->dir.string())
                                            : std::string()));
        note = shipped->version.major < source_major
                   ? fmt::format("; the shipped PostgreSQL {} tools are older than source {}",
                                 shipped->version.text, source_major)
                   : fmt::format("; the shipped PostgreSQL {} tools are newer than target {}",
                                 shipped->version.text, target_major);
    }
    if (bin_dir)
        return pick(*bin_dir, fmt::format("--pg-bin-dir {} (PostgreSQL {}){}",
                                          bin_dir->dir.string(), bin_dir->version.text, note));
    const ClientTools* best_fit = nullptr;
    for (const auto& t : searched)
        if (fits(t) && (!best_fit || t.version.major > best_fit->version.major)) best_fit = &t;
    if (best_fit)
        return pick(*best_fit,
                    fmt::format("PostgreSQL {} in {}: newest on PATH and in "
                                "/usr/lib/postgresql/*/bin between source {} and target {}{}",
                                best_fit->version.text, best_fit->dir.string(), source_major,
                                target_major, note));
    if (shipped && shipped->version.major >= source_major)
        return pick(*shipped,
                    fmt::format("shipped PostgreSQL {} tools beside the binary (new enough for "
                                "source {}; newer than target {}, and no tools between the two "
                                "were found)",
                                shipped->version.text, source_major, target_major));
    const ClientTools* best = newest(searched);
    if (!best) throw Error(ExitCode::local, fmt::format("{}{}", kNoTools, note));
    return pick(*best, fmt::format("PostgreSQL {} in {}: newest on PATH and in "
                                   "/usr/lib/postgresql/*/bin (source {}, target {}){}",
                                   best->version.text, best->dir.string(), source_major,
                                   target_major, note));
}

ClientTools select_client_tools(const std::optional<fs::path>& bin_dir, int source_major,
                                int target_major) {
    std::optional<ClientTools> shipped;
    fs::path shipped_dir = shipped_tools_dir("/proc/self/exe");
    if (has_tools(shipped_dir)) {
        try {
            shipped = tools_in(shipped_dir);
        } catch (const Error& e) {
            spdlog::warn("ignoring the shipped client tools in {}: {}", shipped_dir.string(),
                         e.what());
        }
    }
    std::optional<ClientTools> given;
    if (bin_dir) given = checked_bin_dir(*bin_dir);
    bool shipped_fits =
        shipped && shipped->version.major >= source_major && shipped->version.major <= target_major;
    std::vector<ClientTools> searched;
    if (!shipped_fits && !given) searched = searched_tools();
    return choose_client_tools(shipped, given, searched, source_major, target_major);
}

ClientTools find_client_tools(const std::optional<fs::path>& bin_dir) {
    if (bin_dir) return checked_bin_dir(*bin_dir);
    auto found = searched_tools();
    const ClientTools* best = newest(found);
    if (!best) throw Error(ExitCode::local, kNoTools);
    return *best;
}

}  // namespace pgmigrate::process
