#include "ddp/replica_sync.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/full.h>

#include <cstring>
#include <sstream>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string describe_difference(const std::string& mine, const std::string& root) {
  const auto a = lines_of(mine);
  const auto b = lines_of(root);
  for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const std::string here = i < a.size() ? a[i] : "(nothing)";
    const std::string there = i < b.size() ? b[i] : "(nothing)";
    if (here != there) {
      return fmt::format("entry {} is '{}' here but '{}' on rank 0", i, here, there);
    }
  }
  return "signatures differ only in their hash";
}

}  // namespace

std::uint64_t fnv1a64(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string replica_signature(const std::vector<NamedTensor>& tensors, std::uint64_t config_hash) {
  std::string out;
  for (const auto& t : tensors) {
    out += fmt::format("tensor {} {} [{}]\n", t.name, std::string(c10::toString(t.tensor.scalar_type())),
                       fmt::join(t.tensor.sizes(), ", "));
  }
  out += fmt::format("configuration hash {:016x}\n", config_hash);
  return out;
}

void synchronize_replicas(Communicator& comm, const std::vector<NamedTensor>& tensors,
                          std::uint64_t config_hash) {
  const at::Device device = tensors.empty() ? at::Device(at::kCPU) : tensors.front().tensor.device();
  const auto small = at::TensorOptions().dtype(at::kLong).device(device);
  const std::string signature = replica_signature(tensors, config_hash);
  const auto hash = static_cast<std::int64_t>(fnv1a64(signature));
  const at::Tensor hashes = comm.all_gather(at::full({1}, hash, small)).cpu();

  std::vector<int> differing;
  for (int r = 0; r < comm.world_size(); ++r) {
    if (hashes[r][0].item<std::int64_t>() != hashes[0][0].item<std::int64_t>()) differing.push_back(r);
  }
  if (!differing.empty()) {
    // Every rank learns rank 0's signature, so the ranks that differ can say how.
    at::Tensor length = at::full({1}, static_cast<std::int64_t>(signature.size()), small);
    comm.broadcast(length, 0);
    at::Tensor bytes = at::empty({length.cpu().item<std::int64_t>()}, small.dtype(at::kByte));
    if (comm.rank() == 0) {
      at::Tensor host = at::empty({bytes.numel()}, at::kByte);
      std::memcpy(host.data_ptr(), signature.data(), signature.size());
      bytes.copy_(host);
    }
    comm.broadcast(bytes, 0);
    const at::Tensor host = bytes.cpu();
    const std::string root(static_cast<const char*>(host.data_ptr()), static_cast<std::size_t>(host.numel()));
    if (signature != root) {
      RSDIST_THROW("replicas differ: rank {} does not match rank 0: {}", comm.rank(),
                   describe_difference(signature, root));
    }
    RSDIST_THROW("replicas differ: rank(s) {} do not match rank 0 in parameters or configuration "
                 "(their logs name the difference)",
                 fmt::join(differing, ", "));
  }
  at::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    at::Tensor target = t.tensor.detach();
    if (target.is_contiguous()) {
      comm.broadcast(target, 0);
    } else {
      at::Tensor staging = target.contiguous();
      comm.broadcast(staging, 0);
      target.copy_(staging);
    }
  }
}

}  // namespace rsdist::ddp
