#include "pgmigrate/pipeline/analyze.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <thread>

#include "pgmigrate/pg/quote.hpp"
#include "pgmigrate/pipeline/context.hpp"
#include "pgmigrate/util/cancel.hpp"
#include "pgmigrate/util/parallel.hpp"

namespace pgmigrate::pipeline {

bool statistics_in_dump(int tools_major, int target_major, bool analyze, bool fast_verify) {
    return analyze && !fast_verify && tools_major >= 18 && target_major >= 18;
}

bool carries_statistics(const Context& ctx) {
    return statistics_in_dump(ctx.tools.version.major, ctx.target_major, ctx.options.analyze,
                              ctx.options.fast_verify);
}

void analyze_tables(Context& ctx, const std::string& db, const std::vector<TableKey>& tables) {
    if (tables.empty()) return;
    cancel::throw_if_requested();
    auto started = std::chrono::steady_clock::now();
    std::atomic<int> missing{0};
    size_t width = static_cast<size_t>(std::max(ctx.options.restore_jobs, 1));
    util::parallel_for(tables.size(), width, [&](size_t i) {
        auto conn = ctx.target(db);
        try {
            // VACUUM cannot run in a transaction block: a plain simple-query statement.
            conn->execute(
                "VACUUM (ANALYZE) " + pg::qualified_name(tables[i].schema, tables[i].name),
                pg::kLongQueryTimeout);
        } catch (const pg::PgError& e) {
            if (e.sqlstate() != "42P01") throw;  // undefined_table: the verification reports it
            ++missing;
        }
    });
    width = std::min(width, tables.size());

    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    spdlog::info("[{}] VACUUM (ANALYZE) of {} table(s) on the target in {:.1f} s, {} at a time{}",
                 db, tables.size() - static_cast<size_t>(missing.load()),
                 static_cast<double>(took.count()) / 1000.0, width,
                 missing > 0 ? fmt::format(" ({} missing on the target)", missing.load()) : "");
}

}  // namespace pgmigrate::pipeline
