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

namespace pgmigrate::pipeline {

void analyze_tables(Context& ctx, const std::string& db, const std::vector<TableKey>& tables) {
    if (tables.empty()) return;
    cancel::throw_if_requested();
    auto started = std::chrono::steady_clock::now();
    std::atomic<size_t> next{0};
    std::atomic<int> missing{0};
    std::mutex mutex;
    std::exception_ptr error;

    auto worker = [&] {
        while (true) {
            {
                std::lock_guard lock(mutex);
                if (error) return;
            }
            size_t i = next.fetch_add(1);
            if (i >= tables.size()) return;
            try {
                cancel::throw_if_requested();
                auto conn = ctx.target(db);
                // VACUUM cannot run in a transaction block: a plain simple-query statement.
                conn->execute(
                    "VACUUM (ANALYZE) " + pg::qualified_name(tables[i].schema, tables[i].name),
                    pg::kLongQueryTimeout);
            } catch (const pg::PgError& e) {
                if (e.sqlstate() == "42P01") {  // undefined_table: the verification reports it
                    ++missing;
                    continue;
                }
                std::lock_guard lock(mutex);
                if (!error) error = std::current_exception();
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!error) error = std::current_exception();
            }
        }
    };
    size_t width = std::clamp<size_t>(static_cast<size_t>(std::max(ctx.options.restore_jobs, 1)), 1,
                                      tables.size());
    std::vector<std::thread> threads;
    threads.reserve(width);
    for (size_t i = 0; i < width; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);

    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    spdlog::info("[{}] VACUUM (ANALYZE) of {} table(s) on the target in {:.1f} s, {} at a time{}",
                 db, tables.size() - static_cast<size_t>(missing.load()),
                 static_cast<double>(took.count()) / 1000.0, width,
                 missing > 0 ? fmt::format(" ({} missing on the target)", missing.load()) : "");
}

}  // namespace pgmigrate::pipeline
