#include "eval/csr_offsets.hpp"

#include "core/error.hpp"

namespace rsdist::eval {

void check_csr_offsets(std::span<const std::int64_t> offsets, std::int64_t num_elements,
                       std::string_view what) {
  RSDIST_CHECK(!offsets.empty(), "{}: need rows + 1 values (at least the leading 0), got none",
               what);
  RSDIST_CHECK(offsets.front() == 0, "{}: the first offset must be 0, got {}", what,
               offsets.front());
  for (std::size_t j = 1; j < offsets.size(); ++j) {
    RSDIST_CHECK(offsets[j] >= offsets[j - 1], "{}: offsets decrease at row {} ({} after {})", what,
                 j - 1, offsets[j], offsets[j - 1]);
  }
  RSDIST_CHECK(offsets.back() == num_elements,
               "{}: the last offset is {} but there are {} elements", what, offsets.back(),
               num_elements);
}

}  // namespace rsdist::eval
