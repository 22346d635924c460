#pragma once
// The PostgreSQL client programs pg-migrate drives, where they are found, which version they
// are, and the argument lists it gives them.
#include <filesystem>
#include <optional>
#include <string>

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
};

// With bin_dir: the tools there. Without: the newest major among PATH and
// /usr/lib/postgresql/*/bin. Throws pgmigrate::Error (local) naming what is missing.
ClientTools find_client_tools(const std::optional<std::filesystem::path>& bin_dir);

// Runs "<tool> --version". Throws when the program cannot run or prints no version.
ToolVersion query_tool_version(const std::filesystem::path& program);

}  // namespace pgmigrate::process
