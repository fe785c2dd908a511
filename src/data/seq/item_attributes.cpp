#include "data/seq/item_attributes.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace rsdist::seq {
namespace {

// A JSON object key that is a positive decimal integer, or -1.
std::int64_t parse_item_key(const std::string& key) {
  std::int64_t value = 0;
  const char* end = key.data() + key.size();
  const auto [ptr, ec] = std::from_chars(key.data(), end, value);
  return ec == std::errc() && ptr == end && value >= 1 ? value : -1;
}

}  // namespace

ItemAttributes parse_item_attributes(std::string_view text, std::string_view source_name,
                                     const std::vector<bool>& present,
                                     ItemAttributeCounts* counts) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    RSDIST_THROW("{}: not valid JSON at byte {}: {}", source_name, e.byte, e.what());
  }
  RSDIST_CHECK(json.is_object(),
               "{}: expected one JSON object mapping item ids to attribute id lists, found a {}",
               source_name, json.type_name());
  RSDIST_CHECK(!present.empty(), "{}: the corpus has no items", source_name);
  const auto num_items = static_cast<std::int64_t>(present.size()) - 1;

  std::vector<std::vector<std::int32_t>> rows(present.size());
  std::int64_t unknown = 0;
  for (const auto& [key, value] : json.items()) {
    const std::int64_t item = parse_item_key(key);
    RSDIST_CHECK(item >= 1, "{}: key \"{}\" is not an item id (a positive integer)", source_name,
                 key);
    RSDIST_CHECK(value.is_array(), "{}: item {}: expected a list of attribute ids, found a {}",
                 source_name, key, value.type_name());
    std::vector<std::int32_t> ids;
    for (const auto& a : value) {
      RSDIST_CHECK(a.is_number_integer() && a.get<std::int64_t>() >= 1 &&
                       a.get<std::int64_t>() <= std::numeric_limits<std::int32_t>::max(),
                   "{}: item {}: attribute {} is not an id >= 1 (0 is the padding id)",
                   source_name, key, a.dump());
      ids.push_back(static_cast<std::int32_t>(a.get<std::int64_t>()));
    }
    if (item > num_items || !present[static_cast<std::size_t>(item)]) {
      ++unknown;
      continue;
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    rows[static_cast<std::size_t>(item)] = std::move(ids);
  }

  ItemAttributes out;
  out.offsets.reserve(rows.size() + 1);
  for (const auto& row : rows) {
    out.attributes.insert(out.attributes.end(), row.begin(), row.end());
    out.offsets.push_back(static_cast<std::int64_t>(out.attributes.size()));
    if (!row.empty()) {
      out.num_attributes = std::max<std::int64_t>(out.num_attributes, row.back() + 1);
    }
  }
  if (counts) {
    *counts = count_item_attributes(out, present);
    counts->unknown_items = unknown;
  }
  return out;
}

ItemAttributes read_item_attributes(const std::filesystem::path& path,
                                    const std::vector<bool>& present,
                                    ItemAttributeCounts* counts) {
  std::ifstream in(path, std::ios::binary);
  RSDIST_CHECK(in.good(), "cannot open item attribute file {}: {}", path.string(),
               std::strerror(errno));
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  RSDIST_CHECK(!in.bad(), "cannot read item attribute file {}", path.string());
  return parse_item_attributes(text, path.string(), present, counts);
}

ItemAttributeCounts count_item_attributes(const ItemAttributes& attributes,
                                          const std::vector<bool>& present) {
  ItemAttributeCounts c;
  std::vector<bool> used(static_cast<std::size_t>(std::max<std::int64_t>(attributes.num_attributes, 0)));
  for (std::int64_t i = 1; i < static_cast<std::int64_t>(present.size()); ++i) {
    if (!present[static_cast<std::size_t>(i)]) continue;
    const auto row = i < attributes.num_items() ? attributes.of(i) : std::span<const std::int32_t>{};
    (row.empty() ? c.items_without_attributes : c.items_with_attributes) += 1;
    c.entries += static_cast<std::int64_t>(row.size());
    for (const std::int32_t a : row) used[static_cast<std::size_t>(a)] = true;
  }
  c.distinct_attributes = std::count(used.begin(), used.end(), true);
  return c;
}

}  // namespace rsdist::seq
