#pragma once
// The PostgreSQL client programs pg-migrate drives: where they are found, which version they
// are, and which of them a run uses. Their argument lists are built by the step that runs them
// (pipeline/database_task for pg_dump and pg_restore, pipeline/globals for pg_dumpall).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pgmigrate::process {

struct ToolVersion {
    int major = 0;
    std::string text;  // "15.18"
};

// Parses "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" or "... 9.6.24" -> major.
std::optional<ToolVersion> parse_tool_version(const std::string& version_output);

struct ClientTools {
    std::filesystem::path dir;
    std::filesystem::path pg_dump, pg_dumpall, pg_restore;
    ToolVersion version;  // of pg_dump (the three come from one directory)
    std::string reason;   // one line: why these were chosen (select_client_tools)
};

// The tools in dir (pg_dump's --version run). Throws when one is missing or does not run.
ClientTools tools_in(const std::filesystem::path& dir);

// Where a release keeps its own tools: "pg-tools/" beside the real path of the running binary
// (exe: /proc/self/exe resolved; pass another path in tests).
std::filesystem::path shipped_tools_dir(const std::filesystem::path& exe);

// The selection rule, without any file system access. Tools "fit" when source major <= tools
// major <= target major (PostgreSQL promises dumping older servers and loading a dump into the
// same or a newer major, not restoring into an older one):
//  1. the shipped tools when they fit;
//  2. else the --pg-bin-dir tools (whatever their version: preflight refuses too old ones);
//  3. else the newest searched tools (PATH, /usr/lib/postgresql/*/bin) that fit;
//  4. else the shipped tools when new enough for the source (newer than the target);
//  5. else the newest searched tools (preflight refuses them when older than the source).
// Sets ClientTools::reason. Throws pgmigrate::Error (local) when there is nothing to choose.
ClientTools choose_client_tools(const std::optional<ClientTools>& shipped,
                                const std::optional<ClientTools>& bin_dir,
                                const std::vector<ClientTools>& searched, int source_major,
                                int target_major);

// Discovery around choose_client_tools: the shipped tools beside /proc/self/exe, bin_dir
// (must hold all three tools) and PATH plus /usr/lib/postgresql/*/bin.
ClientTools select_client_tools(const std::optional<std::filesystem::path>& bin_dir,
                                int source_major, int target_major);

// With bin_dir: the tools there. Without: the newest major among PATH and
// /usr/lib/postgresql/*/bin (no shipped tools, no server versions). Throws pgmigrate::Error
// (local) naming what is missing.
ClientTools find_client_tools(const std::optional<std::filesystem::path>& bin_dir);

// Whether the file a tool path resolves to is a script (#!), such as Debian's pg_wrapper behind
// /usr/bin/pg_dump: a Perl interpreter starts before the real program on every call (tens of
// milliseconds of CPU). Of searched directories with the same major, those whose tools are the
// programs themselves are chosen first.
bool is_script(const std::filesystem::path& tool);

// Runs "<tool> --version". Throws when the program cannot run or prints no version.
ToolVersion query_tool_version(const std::filesystem::path& program);

}  // namespace pgmigrate::process
