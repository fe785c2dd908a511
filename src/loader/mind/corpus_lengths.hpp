// Shorter lengths than a MIND corpus was preprocessed with: titles, abstracts and histories can be
// cut at load time (a model configured with a shorter max_title_length or max_history_num reads the
// same corpus), never lengthened (the corpus did not keep what a longer length needs).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rsdist::loader {

// The length to load: `requested` when 1 <= requested <= corpus_length, the corpus's own length
// when `requested` is 0. A longer or negative request throws naming `option`, the corpus value and
// `file`.
std::int32_t resolve_length(std::string_view option, std::int32_t requested,
                            std::int32_t corpus_length, const std::string& file);

// Cuts the [rows, corpus_width] histories (oldest first, real news in slots 0..length-1, 0 after)
// to [rows, width], keeping the LAST `width` real news of each (NNR's history[-max_history_num:]),
// and lowers `length` accordingly. `history` is rewritten in place; no-op when width ==
// corpus_width.
void truncate_histories(std::vector<std::int32_t>& history, std::vector<std::int32_t>& length,
                        std::int32_t corpus_width, std::int32_t width);

}  // namespace rsdist::loader
