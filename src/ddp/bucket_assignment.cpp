#include "ddp/bucket_assignment.hpp"

#include <map>

#include "core/error.hpp"

namespace rsdist::ddp {

std::vector<Bucket> compute_bucket_assignment(const std::vector<ParameterInfo>& parameters,
                                              std::size_t first_bucket_cap_bytes,
                                              std::size_t bucket_cap_bytes) {
  RSDIST_CHECK(first_bucket_cap_bytes > 0 && bucket_cap_bytes > 0,
               "bucket caps must be positive (first {} bytes, others {} bytes)",
               first_bucket_cap_bytes, bucket_cap_bytes);
  std::vector<Bucket> closed;
  std::map<std::string, Bucket> open;        // one open bucket per type
  std::vector<std::string> type_order;       // types in order of first appearance
  auto cap = [&]() { return closed.empty() ? first_bucket_cap_bytes : bucket_cap_bytes; };

  for (std::size_t i = parameters.size(); i-- > 0;) {
    const ParameterInfo& p = parameters[i];
    auto [it, inserted] = open.try_emplace(p.type_key);
    if (inserted) type_order.push_back(p.type_key);
    Bucket& bucket = it->second;
    if (!bucket.parameter_indices.empty() && bucket.bytes + p.bytes > cap()) {
      closed.push_back(std::move(bucket));
      bucket = Bucket{};
    }
    bucket.parameter_indices.push_back(i);
    bucket.bytes += p.bytes;
    if (bucket.bytes >= cap()) {
      closed.push_back(std::move(bucket));
      bucket = Bucket{};
    }
  }
  for (const auto& type : type_order) {
    if (!open[type].parameter_indices.empty()) closed.push_back(std::move(open[type]));
  }
  return closed;
}

}  // namespace rsdist::ddp
