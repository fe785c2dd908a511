// Linked against the *_backend_missing.cpp variants only (see tests/ddp/CMakeLists.txt).
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ddp/backends.hpp"

namespace rsdist::ddp {
namespace {

TEST(BackendsMissing, EveryBackendSaysItWasNotBuiltAndHowToFixIt) {
  const struct {
    const char* name;
    const char* message;
  } cases[] = {
      {"nccl", "rsdist was built without NCCL (RSDIST_WITH_NCCL=OFF); rebuild with "
               "-DRSDIST_WITH_NCCL=ON where NCCL is installed"},
      {"cuda", "rsdist was built without CUDA (RSDIST_WITH_CUDA=OFF); rebuild with "
               "-DRSDIST_WITH_CUDA=ON where CUDA is installed"},
      {"mpi", "rsdist was built without MPI (RSDIST_WITH_MPI=OFF); rebuild with "
              "-DRSDIST_WITH_MPI=ON where MPI is installed"},
  };
  for (const auto& c : cases) {
    try {
      require_backend(c.name);
      ADD_FAILURE() << c.name << " did not throw";
    } catch (const Error& e) {
      EXPECT_EQ(e.message(), c.message);
    }
  }
  for (const auto& status : backend_statuses()) EXPECT_FALSE(status.built) << status.name;
}

}  // namespace
}  // namespace rsdist::ddp
