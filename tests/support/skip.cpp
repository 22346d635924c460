#include "skip.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <mutex>
#include <vector>

namespace pgtest {
namespace {
std::mutex g_mutex;
std::vector<std::string> g_reasons;
}  // namespace

void skip(const std::string& reason) {
    WARN("skipped: " << reason);
    std::lock_guard lock(g_mutex);
    g_reasons.push_back(reason);
}

int exit_code_after(int catch_failures) {
    if (catch_failures != 0) return catch_failures;
    std::lock_guard lock(g_mutex);
    if (g_reasons.empty()) return 0;
    for (const auto& reason : g_reasons) std::printf("SKIPPED: %s\n", reason.c_str());
    return 77;
}

}  // namespace pgtest
