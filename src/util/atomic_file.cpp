#include "pgmigrate/util/atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "pgmigrate/util/error.hpp"
#include "pgmigrate/util/fd.hpp"

namespace pgmigrate::util {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
    throw Error(ExitCode::local,
                fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)));
}

// The same, after removing the temporary file (errno is kept for the message).
[[noreturn]] void fail_removing(const std::filesystem::path& tmp, const std::string& what,
                                const std::filesystem::path& path) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail(what, path);
}

void fsync_directory(const std::filesystem::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.valid()) ::fsync(fd.get());
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
    auto dir = path.parent_path().empty() ? std::filesystem::path(".") : path.parent_path();
    std::string tmpl = (dir / fmt::format(".{}.tmp.XXXXXX", path.filename().string())).string();
    // Close-on-exec: a child started meanwhile by another thread must not inherit it.
    Fd fd(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (!fd.valid()) fail("create a temporary file for", path);
    std::filesystem::path tmp(tmpl);
    const char* data = content.data();
    size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd.get(), data, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail_removing(tmp, "write", path);
        data += n;
        left -= static_cast<size_t>(n);
    }
    if (::fchmod(fd.get(), 0600) != 0 || ::fsync(fd.get()) != 0) fail_removing(tmp, "sync", path);
    fd.reset();  // closed before the rename, so the file is complete under its new name
    if (::rename(tmp.c_str(), path.c_str()) != 0) fail_removing(tmp, "rename into place", path);
    fsync_directory(dir);
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) return std::nullopt;
        fail("read", path);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

}  // namespace pgmigrate::util
