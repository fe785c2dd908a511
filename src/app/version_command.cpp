#include <ostream>

#include "app/commands.hpp"
#include "ddp/backends.hpp"

namespace rsdist::app {

OptionSchema version_schema() {
  OptionSchema schema("rsdist version");
  add_common_options(schema);
  return schema;
}

int run_version(const Config&, CommandIo& io) {
  // Build facts come from CMake as definitions on this file only.
  io.out << fmt::format("rsdist {} ({})\n", RSDIST_VERSION, RSDIST_GIT_DESCRIBE);
  io.out << fmt::format("  compiler   {}\n", RSDIST_COMPILER);
  io.out << fmt::format("  libtorch   {}\n", RSDIST_TORCH_VERSION);
  io.out << fmt::format("  hdf5       {}\n", RSDIST_HDF5_VERSION);
  for (const auto& backend : ddp::backend_statuses()) {
    io.out << fmt::format("  {:<10} {}\n", backend.name,
                          backend.built ? backend.detail : "not built");
  }
  return 0;
}

}  // namespace rsdist::app
