// Turning HDF5's error stack into rsdist::Error.
//
// HDF5 prints its error stack to stderr by default; inside rsdist that printing is switched off
// (quiet_hdf5_errors) and the stack's innermost descriptions are put into the exception instead,
// so that a user sees one message naming the file and dataset, e.g.
//   "HDF5: cannot open dataset 'witg/columns' in corpus/sequences.h5 (can't find object;
//    internal path traversal failed; component not found)".
// Internal header: includes <hdf5.h>; only src/data/hdf5/*.cpp include it.
#pragma once

#include <hdf5.h>

#include <string>

namespace rsdist::h5 {

// Switches off HDF5's automatic printing of error stacks (a per-library setting in serial HDF5,
// idempotent); called whenever a File is opened or created.
void quiet_hdf5_errors();

// The descriptions on the current HDF5 error stack, innermost last, joined by "; " (empty when
// the stack is empty); clears the stack.
std::string take_hdf5_error_stack();

// Throws rsdist::Error "HDF5: <what> (<stack>)" when `status` < 0 (a failed hid_t or herr_t).
[[noreturn]] void throw_hdf5_error(const std::string& what, const char* source_file,
                                   int source_line);

}  // namespace rsdist::h5

// `what` is a fmt format string naming the file and dataset concerned.
#define RSDIST_H5_CHECK(status, ...)                                                  \
  do {                                                                                \
    if ((status) < 0) {                                                               \
      ::rsdist::h5::throw_hdf5_error(::fmt::format(__VA_ARGS__), __FILE__, __LINE__); \
    }                                                                                 \
  } while (false)
