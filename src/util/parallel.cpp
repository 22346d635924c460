#include "pgmigrate/util/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "pgmigrate/util/cancel.hpp"

namespace pgmigrate::util {

void parallel_for(size_t n, size_t width, const std::function<void(size_t)>& work) {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex mutex;
    std::exception_ptr error;
    auto worker = [&] {
        while (!failed) {
            size_t i = next.fetch_add(1);
            if (i >= n) return;
            try {
                cancel::throw_if_requested();
                work(i);
            } catch (...) {
                std::lock_guard lock(mutex);
                if (!error) error = std::current_exception();
                failed = true;
            }
        }
    };
    width = std::clamp<size_t>(width, 1, std::max<size_t>(n, 1));
    std::vector<std::thread> threads;
    threads.reserve(width);
    for (size_t i = 0; i < width; ++i) threads.emplace_back(worker);
    for (auto& t : threads) t.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace pgmigrate::util
