// Start-up agreement between replicas: same parameters, same shapes, same configuration, and
// rank 0's initial values everywhere (as PyTorch DDP's _verify_param_shape_across_processes and
// _sync_module_states).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

std::uint64_t fnv1a64(std::string_view bytes);

// One line per tensor ("name dtype [shape]") and a last line with the configuration hash.
std::string replica_signature(const std::vector<NamedTensor>& tensors, std::uint64_t config_hash);

// Every rank calls this with its parameters and buffers (in registration order) and the hash of
// its resolved configuration. If any rank differs from rank 0, every rank throws; the differing
// rank's message names the first difference ("parameter 'fc.weight' is float32 [4, 2] here but
// float32 [4, 3] on rank 0"). Otherwise every rank's tensors are overwritten with rank 0's values.
void synchronize_replicas(Communicator& comm, const std::vector<NamedTensor>& tensors,
                          std::uint64_t config_hash);

}  // namespace rsdist::ddp
