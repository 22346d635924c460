#include "pgmigrate/pipeline/estimates.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace pgmigrate::pipeline {

double dump_size_factor(const std::string& compression_method) {
    // Typical text/number tables: data is about 70% of pg_database_size (the rest indexes,
    // free space, catalogs); gzip, lz4 and zstd bring that data to a quarter to a third.
    if (compression_method == "none" || compression_method.empty()) return 0.7;
    if (compression_method == "lz4") return 0.3;
    return 0.25;  // gzip, zstd
}

std::uint64_t estimated_dump_bytes(std::uint64_t db_size_bytes,
                                   const std::string& compression_method) {
    return static_cast<std::uint64_t>(
        std::llround(static_cast<double>(db_size_bytes) * dump_size_factor(compression_method)));
}

std::chrono::seconds estimated_duration(const std::vector<std::uint64_t>& sizes, int lanes) {
    double longest = 0, sum = 0;
    for (auto size : sizes) {
        double s = static_cast<double>(size);
        double t = s / kAssumedDumpBytesPerSecond + s / kAssumedRestoreBytesPerSecond +
                   kAssumedSecondsPerDatabase;
        longest = std::max(longest, t);
        sum += t;
    }
    double total = std::max(longest, sum / std::max(1, lanes));
    return std::chrono::seconds(static_cast<long long>(std::ceil(total)));
}

std::string duration_method() {
    return fmt::format(
        "each database takes size / {:.0f} MiB/s (dump) + size / {:.0f} MiB/s (restore with its "
        "indexes) + {:.0f} s, the run the longer of its largest database and the sum spread over "
        "the parallel lanes; rates from the README benchmark (2 vCPU), so scale for your "
        "hardware",
        kAssumedDumpBytesPerSecond / (1024 * 1024), kAssumedRestoreBytesPerSecond / (1024 * 1024),
        kAssumedSecondsPerDatabase);
}

std::chrono::seconds eta(std::uint64_t done, std::uint64_t total,
                         std::chrono::milliseconds elapsed) {
    if (done == 0 || total == 0 || elapsed < std::chrono::seconds(10) || done > total)
        return std::chrono::seconds(-1);
    double rate = static_cast<double>(done) / static_cast<double>(elapsed.count());
    double left_ms = static_cast<double>(total - done) / rate;
    return std::chrono::seconds(static_cast<long long>(std::ceil(left_ms / 1000.0)));
}

}  // namespace pgmigrate::pipeline
