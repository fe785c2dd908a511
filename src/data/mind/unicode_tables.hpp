// Unicode character classes for the MIND tokenizer, generated from Python's own unicodedata by
// gen_unicode_tables.py (see there for the Python/Unicode version). Coverage is complete, not a
// selection of scripts: every code point Python's `re` treats as \w, every decimal digit (Nd),
// every single-code-point str.lower() mapping (U+0130 is the one multi-code-point case and is
// handled by the tokenizer), and the cased / case-ignorable classes of the final-sigma rule.
#pragma once

#include <cstdint>
#include <span>

namespace rsdist::mind::unicode_tables {

struct CodeRange {
  std::uint32_t first;
  std::uint32_t last;  // inclusive
};

// Code points first..last map to c + delta, every `stride`-th one starting at `first`.
struct LowerRun {
  std::uint32_t first;
  std::uint32_t last;
  std::int32_t delta;
  std::uint32_t stride;
};

std::span<const CodeRange> word();
std::span<const CodeRange> decimal();
std::span<const CodeRange> cased();           // cased and not case-ignorable
std::span<const CodeRange> case_ignorable();
std::span<const LowerRun> lower();

}  // namespace rsdist::mind::unicode_tables
