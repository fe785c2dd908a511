#include "data/hdf5/h5_error.hpp"

#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "data/hdf5/handle.hpp"

namespace rsdist::h5 {

static_assert(std::is_same_v<hid_t, Id>, "Handle assumes hid_t is int64_t (HDF5 >= 1.10)");
static_assert(std::is_same_v<herr_t, int>, "Handle::Closer assumes herr_t is int");

namespace {

herr_t collect_description(unsigned /*n*/, const H5E_error2_t* entry, void* client_data) {
  auto* descriptions = static_cast<std::vector<std::string>*>(client_data);
  if (entry->desc != nullptr && entry->desc[0] != '\0') descriptions->emplace_back(entry->desc);
  return 0;
}

}  // namespace

void quiet_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string take_hdf5_error_stack() {
  std::vector<std::string> descriptions;
  // Outermost first: the API call ("unable to open dataset") before its causes.
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, &collect_description, &descriptions);
  H5Eclear2(H5E_DEFAULT);
  // The deepest frames are the specific ones ("object 'x' doesn't exist"); three are enough.
  const std::size_t first = descriptions.size() > 3 ? descriptions.size() - 3 : 0;
  std::string joined;
  for (std::size_t i = first; i < descriptions.size(); ++i) {
    if (!joined.empty()) joined += "; ";
    joined += descriptions[i];
  }
  return joined;
}

void throw_hdf5_error(const std::string& what, const char* source_file, int source_line) {
  const std::string stack = take_hdf5_error_stack();
  throw Error(stack.empty() ? "HDF5: " + what : "HDF5: " + what + " (" + stack + ")", source_file,
              source_line);
}

}  // namespace rsdist::h5
