#include <mpi.h>

#include "core/error.hpp"
#include "ddp/backends.hpp"

namespace rsdist::ddp {

std::string mpi_library_version() {
  // MPI_Get_library_version may be called before MPI_Init.
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  const int rc = MPI_Get_library_version(text, &length);
  RSDIST_CHECK(rc == MPI_SUCCESS, "MPI_Get_library_version failed with code {}", rc);
  std::string version(text, static_cast<std::size_t>(length));
  const auto cut = version.find_first_of(",\n");  // keep the first clause: "Open MPI v4.1.4"
  return version.substr(0, cut);
}

}  // namespace rsdist::ddp
