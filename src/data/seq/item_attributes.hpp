// Item attributes of a sequence corpus (S3-Rec's `Beauty_item2attributes.json`): one JSON object
// mapping each item id (a string key) to its attribute ids, e.g. {"4": [1, 2, 3], "83": [4, 5]}.
//
// Stored in sequences.h5 as a CSR over item ids 0..I (row = item id; row 0, the padding id, is
// empty), each row's attribute ids sorted ascending and distinct. Attribute ids are >= 1: 0 is
// the padding id of S3-Rec's attribute embedding, so a file that uses it is refused. The
// attribute table of a model has `num_attributes` = largest id + 1 rows (the official
// `attribute_size`).
//
// What the file may hold that the corpus does not: an item id that never occurs in the sequences
// (or is above the largest) is counted as unknown and dropped; an item of the sequences absent
// from the file has no attributes (counted). Anything malformed — not JSON, not an object, a key
// that is not a positive integer, a value that is not a list of positive integers — is an rsdist::Error naming the file (and, for JSON syntax, the byte offset).
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace rsdist::seq {

struct ItemAttributes {
  std::vector<std::int64_t> offsets{0};  // [I + 2]: row i = item i, for i in 0..I
  std::vector<std::int32_t> attributes;  // sorted, distinct per row
  std::int64_t num_attributes = 0;       // largest attribute id + 1 (0: no attributes at all)

  bool empty() const { return offsets.size() <= 1; }
  std::int64_t num_items() const { return static_cast<std::int64_t>(offsets.size()) - 1; }
  std::span<const std::int32_t> of(std::int64_t item) const {
    return {attributes.data() + offsets[static_cast<std::size_t>(item)],
            static_cast<std::size_t>(offsets[static_cast<std::size_t>(item) + 1] -
                                     offsets[static_cast<std::size_t>(item)])};
  }
  friend bool operator==(const ItemAttributes&, const ItemAttributes&) = default;
};

struct ItemAttributeCounts {
  std::int64_t items_with_attributes = 0;     // corpus items with at least one attribute
  std::int64_t items_without_attributes = 0;  // corpus items the file gives none (or omits)
  std::int64_t unknown_items = 0;             // file keys that are not corpus items (dropped)
  std::int64_t distinct_attributes = 0;       // attribute ids used by corpus items
  std::int64_t entries = 0;                   // (item, attribute) pairs kept
};

// Parses the JSON text; `present[i]` says whether item i occurs in the corpus (size I + 1).
// `source_name` names the file in errors.
ItemAttributes parse_item_attributes(std::string_view text, std::string_view source_name,
                                     const std::vector<bool>& present,
                                     ItemAttributeCounts* counts = nullptr);

// Reads and parses a whole file.
ItemAttributes read_item_attributes(const std::filesystem::path& path,
                                    const std::vector<bool>& present,
                                    ItemAttributeCounts* counts = nullptr);

ItemAttributeCounts count_item_attributes(const ItemAttributes& attributes,
                                          const std::vector<bool>& present);

}  // namespace rsdist::seq
