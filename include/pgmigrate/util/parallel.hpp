#pragma once
// The one worker pool: runs work(0..n-1) on up to `width` threads. The first exception stops
// the workers from taking new items and is rethrown once all have stopped; cancellation is
// polled before every item.
#include <cstddef>
#include <functional>

namespace pgmigrate::util {

void parallel_for(size_t n, size_t width, const std::function<void(size_t)>& work);

}  // namespace pgmigrate::util
