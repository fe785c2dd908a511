// Reads per-user interaction sequences from the two text formats the sequential-recommendation data
// sets come in:
//   GCL4SR:  "user item1,item2,..."   (home.txt, all_train_seq.txt)
//   S3Rec:   "user item item ..."     (Beauty.txt)
// into one CSR structure. Item 0 is the padding id of every downstream model, so real items must be
// >= 1; any malformed line is an rsdist::Error whose message starts with "file:line:".
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rsdist::seq {

enum class SequenceFormat {
  kAuto,            // comma-separated if the file contains any ',' at all, else space-separated
  kCommaSeparated,  // GCL4SR: one space after the user, then items separated by single commas
  kSpaceSeparated,  // S3Rec: user and items separated by runs of spaces or tabs
};

// Users in input order; user i's items are items[offsets[i] .. offsets[i+1]).
struct SequenceCorpus {
  std::vector<std::int64_t> users;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> items;

  std::size_t num_sequences() const { return users.size(); }
  std::span<const std::int32_t> sequence(std::size_t i) const {
    return {items.data() + offsets[i], static_cast<std::size_t>(offsets[i + 1] - offsets[i])};
  }
  // Appends one user's sequence (used by the splits and by tests building corpora by hand).
  void append(std::int64_t user, std::span<const std::int32_t> sequence_items);
  // Largest item id, 0 when there are no items.
  std::int32_t max_item() const;

  friend bool operator==(const SequenceCorpus&, const SequenceCorpus&) = default;
};

// Reads a whole file; `format` kAuto detects it once per file (see SequenceFormat).
SequenceCorpus read_sequences(const std::string& path,
                              SequenceFormat format = SequenceFormat::kAuto);

// Parses text already in memory; `source_name` is the file name used in error messages.
SequenceCorpus parse_sequences(std::string_view text, std::string_view source_name,
                               SequenceFormat format = SequenceFormat::kAuto);

// "gcl4sr"/"comma", "s3rec"/"space", "auto" -> the enum; anything else throws.
SequenceFormat parse_sequence_format(std::string_view name);

// The GCL4SR text form ("user i1,i2,...\n" per user), byte-identical to the reference's
// all_train_seq.txt for the same content.
std::string format_sequences_gcl4sr(const SequenceCorpus& corpus);

}  // namespace rsdist::seq
