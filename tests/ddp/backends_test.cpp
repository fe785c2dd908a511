#include "ddp/backends.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

TEST(Backends, StatusesCoverEveryBackendAndAgreeWithRequire) {
  const auto statuses = backend_statuses();
  ASSERT_EQ(statuses.size(), 3u);
  for (const auto& status : statuses) {
    SCOPED_TRACE(status.name);
    EXPECT_FALSE(status.detail.empty());
    if (status.built) {
      EXPECT_NO_THROW(require_backend(status.name));
    } else {
      EXPECT_THROW(require_backend(status.name), Error);
      EXPECT_NE(status.detail.find("rsdist was built without"), std::string::npos);
    }
  }
}

TEST(Backends, LocalIsAlwaysAvailableAndUnknownNamesAreRejected) {
  EXPECT_NO_THROW(require_backend("local"));
  try {
    require_backend("gloo");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "unknown backend 'gloo': expected one of local, cuda, nccl, mpi");
  }
}

TEST(Backends, BuiltVersionsNameTheirLibrary) {
  for (const auto& status : backend_statuses()) {
    if (!status.built) continue;
    if (status.name == "mpi") {
      EXPECT_NE(status.detail.find("MPI"), std::string::npos);
    } else if (status.name == "nccl") {
      EXPECT_EQ(status.detail.rfind("NCCL ", 0), 0u);
    } else {
      EXPECT_EQ(status.detail.rfind("CUDA runtime ", 0), 0u);
    }
  }
}

}  // namespace
}  // namespace rsdist::ddp
