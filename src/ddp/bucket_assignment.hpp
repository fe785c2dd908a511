// Which gradients travel together: parameters grouped into buckets for all-reduce.
//
// A pure function, as PyTorch DDP's compute_bucket_assignment_by_size: parameters are taken in
// reverse registration order (backward produces the last layers' gradients first), a bucket is
// closed when the next parameter would push it past its cap, the first bucket has a small cap so
// that communication starts early in backward, and parameters of different dtype/device never
// share a bucket. A parameter larger than the cap gets a bucket of its own.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace rsdist::ddp {

struct ParameterInfo {
  std::size_t bytes = 0;
  std::string type_key;  // dtype and device, e.g. "float32/cpu"
};

struct Bucket {
  std::vector<std::size_t> parameter_indices;  // into the registration-ordered parameter list
  std::size_t bytes = 0;
};

std::vector<Bucket> compute_bucket_assignment(const std::vector<ParameterInfo>& parameters,
                                              std::size_t first_bucket_cap_bytes,
                                              std::size_t bucket_cap_bytes);

}  // namespace rsdist::ddp
