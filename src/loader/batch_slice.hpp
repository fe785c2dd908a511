// Batch j of an epoch's sample order: the batchers' shared arithmetic (the last batch is partial).
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace rsdist::loader {

inline std::int64_t batch_count(std::size_t samples, std::int64_t batch_size) {
  return (static_cast<std::int64_t>(samples) + batch_size - 1) / batch_size;
}

inline std::span<const std::int64_t> batch_slice(const std::vector<std::int64_t>& order,
                                                 std::int64_t batch, std::int64_t batch_size) {
  const auto begin = std::min(order.size(), static_cast<std::size_t>(batch * batch_size));
  const std::size_t end = std::min(order.size(), begin + static_cast<std::size_t>(batch_size));
  return {order.data() + begin, end - begin};
}

}  // namespace rsdist::loader
