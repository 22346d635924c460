#include "pgmigrate/pipeline/budget.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "pgmigrate/pg/catalog.hpp"

namespace pgmigrate::pipeline {

std::string ServerLimits::describe() const {
    return fmt::format("max_connections {} - reserved {} - in use {} = {}", max_connections,
                       reserved, in_use, available());
}

ServerLimits read_server_limits(pg::Connection& conn) {
    auto res = conn.query(pg::sql::server_connection_limits(conn.server_major()));
    ServerLimits limits;
    limits.max_connections = static_cast<int>(res.get_int(0, 0));
    limits.reserved = static_cast<int>(res.get_int(0, 1));
    limits.in_use = static_cast<int>(res.get_int(0, 2));
    return limits;
}

std::string Budget::source_formula() const {
    return fmt::format("{} x ({} + 2) + ({} + 2) = {}", dump_parallel, dump_jobs,
                       verify_concurrency, source_peak());
}

std::string Budget::target_formula() const {
    return fmt::format("{} x ({} + 1) + ({} + 2) = {}", restore_parallel, restore_jobs,
                       verify_concurrency, target_peak());
}

namespace {

// The numbers a Budget takes from the Config and gives back, one list for both directions.
constexpr std::pair<int Budget::*, int Config::*> kBudgetFields[] = {
    {&Budget::dump_parallel, &Config::dump_parallel},
    {&Budget::dump_jobs, &Config::dump_jobs},
    {&Budget::restore_parallel, &Config::restore_parallel},
    {&Budget::restore_jobs, &Config::restore_jobs},
    {&Budget::verify_concurrency, &Config::verify_concurrency},
};

// Largest value v in [1, current] with fits(v), or 0 when even 1 does not fit.
template <typename Fits>
int largest_fitting(int current, Fits fits) {
    for (int v = current; v >= 1; --v)
        if (fits(v)) return v;
    return 0;
}

void lower(int& value, int to, const char* flag, std::vector<std::string>& notes,
           const std::string& why) {
    if (to == value) return;
    notes.push_back(fmt::format("{} {} -> {} ({})", flag, value, to, why));
    value = to;
}

// Fits one side: the per-database width first (many databases usually matter more than many
// jobs per database), then the number of databases at once.
void fit_side(int& parallel, int& jobs, int per_job_extra, int pool, int available,
              const char* parallel_flag, const char* jobs_flag, const std::string& why,
              std::vector<std::string>& notes) {
    auto peak = [&](int p, int j) { return p * (j + per_job_extra) + pool; };
    if (peak(parallel, jobs) <= available) return;
    int j = largest_fitting(jobs, [&](int v) { return peak(parallel, v) <= available; });
    if (j > 0) return lower(jobs, j, jobs_flag, notes, why);
    lower(jobs, 1, jobs_flag, notes, why);
    int p = largest_fitting(parallel, [&](int v) { return peak(v, 1) <= available; });
    if (p > 0) lower(parallel, p, parallel_flag, notes, why);
}

[[noreturn]] void refuse(ExitCode code, const char* side, const ServerLimits& limits, int need,
                         const std::string& formula) {
    throw Error(code, fmt::format("the {} server has too few free connections for even one "
                                  "database at a time: {} needed ({}), {}; raise its "
                                  "max_connections, close other sessions, or lower "
                                  "--verify-concurrency",
                                  side, need, formula, limits.describe()));
}

}  // namespace

Budget fit_budget(Budget b, const ServerLimits& source, const ServerLimits& target,
                  std::vector<std::string>& notes) {
    // The pool must leave room for at least one child of each side.
    int min_child_src = 1 * (1 + 2), min_child_dst = 1 * (1 + 1);
    int vc = largest_fitting(b.verify_concurrency, [&](int v) {
        return v + 2 + min_child_src <= source.available() &&
               v + 2 + min_child_dst <= target.available();
    });
    if (vc == 0) {
        Budget one = b;
        one.dump_parallel = one.dump_jobs = one.restore_parallel = one.restore_jobs = 1;
        one.verify_concurrency = 1;
        if (one.source_peak() > source.available())
            refuse(ExitCode::source, "source", source, one.source_peak(), one.source_formula());
        refuse(ExitCode::target, "target", target, one.target_peak(), one.target_formula());
    }
    lower(b.verify_concurrency, vc, "--verify-concurrency", notes,
          "to leave connections for the dumps and restores");
    fit_side(b.dump_parallel, b.dump_jobs, 2, b.pool_size(), source.available(), "--dump-parallel",
             "--dump-jobs",
             "to fit the source's " + std::to_string(source.available()) + " free connections",
             notes);
    fit_side(b.restore_parallel, b.restore_jobs, 1, b.pool_size(), target.available(),
             "--restore-parallel", "--restore-jobs",
             "to fit the target's " + std::to_string(target.available()) + " free connections",
             notes);
    return b;
}

Budget budget_for(const Config& config) {
    Budget b;
    for (auto [in_budget, in_config] : kBudgetFields) b.*in_budget = config.*in_config;
    return b;
}

Config with_budget(Config config, const Budget& b) {
    for (auto [in_budget, in_config] : kBudgetFields) config.*in_config = b.*in_budget;
    return config;
}

}  // namespace pgmigrate::pipeline
