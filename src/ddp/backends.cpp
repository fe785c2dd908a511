#include "ddp/backends.hpp"

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

struct Probe {
  const char* name;
  std::string (*version)();
};

constexpr Probe kProbes[] = {
    {"cuda", &cuda_runtime_version},
    {"nccl", &nccl_library_version},
    {"mpi", &mpi_library_version},
};

}  // namespace

std::vector<BackendStatus> backend_statuses() {
  std::vector<BackendStatus> out;
  for (const auto& probe : kProbes) {
    BackendStatus status{probe.name, false, ""};
    try {
      status.detail = probe.version();
      status.built = true;
    } catch (const Error& e) {
      status.detail = e.message();
    }
    out.push_back(std::move(status));
  }
  return out;
}

void require_backend(const std::string& name) {
  if (name == "local") return;
  for (const auto& probe : kProbes) {
    if (name == probe.name) {
      probe.version();  // throws "built without ..." for a backend left out of this build
      return;
    }
  }
  RSDIST_THROW("unknown backend '{}': expected one of local, cuda, nccl, mpi", name);
}

}  // namespace rsdist::ddp
