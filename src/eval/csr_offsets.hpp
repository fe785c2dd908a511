// Checks of CSR offsets (row j = elements [offsets[j], offsets[j + 1])), shared by the impression
// scorers, the prediction writer and the full-ranking masks.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace rsdist::eval {

// Throws, naming `what` (e.g. "impression offsets") and the first bad position, unless `offsets`
// holds at least one value, starts at 0, never decreases and ends at `num_elements`.
void check_csr_offsets(std::span<const std::int64_t> offsets, std::int64_t num_elements,
                       std::string_view what);

}  // namespace rsdist::eval
