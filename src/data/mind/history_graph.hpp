// User history graphs, as NNR's MIND_corpus.py ("user history graph") builds them for its SUE user
// encoder, but rebuilt on demand from a compact per-sample form instead of stored dense.
//
// Nodes (G = max_history_num + category_num of them):
//   0 .. N-1           news nodes, one per history slot (N = max_history_num); slot i holds the
//                      i-th of the LAST N clicked news, oldest first; unused slots are padding
//   N .. N+C-1         category proxy nodes, one per category of the dictionary (C = category_num)
// Edges (an undirected 0/1 adjacency A; setting an edge twice is still 1):
//   E_p^1   news slot i <-> proxy N+cat(i), for every real slot
//   E_n     news slot i <-> news slot j, i != j, both real, cat(i) == cat(j)
//   E_p^2   proxy N+a <-> proxy N+b, a != b, whenever some pair of real slots has categories a, b;
//           i.e. every two distinct categories present in the history are linked
//   self    A[v][v] = 1 for every node (real, padding and absent-category nodes alike) when
//           self_connection is on
// Normalisation (only when the history is non-empty, as NNR; deg(v) = row sum of A, float32):
//   asymmetric  D^-1 A:            out[r][c] = A[r][c] * (1.0f / deg(r))
//   symmetric   D^-1/2 A D^-1/2:   out[r][c] = A[r][c] * (s(r) * s(c)), s(v) = sqrtf(1.0f / deg(v))
// Each output entry is a single float32 product of these factors, which is exactly what NNR's
// float32 matmul with diagonal matrices yields (every other term of its sums is an exact zero), so
// the dense result is bit-identical to NNR's array.
//
// Note [Compact history graph storage]
// NNR keeps a dense float32 [samples, G, G] array (18,496 bytes per sample at G = 68; ~2.9 GB for
// MIND-small's 156,965 train impressions). Every edge above is a function of the slots' categories
// alone (click order only decides which news fall into the last N and which slot holds which; the
// loader must order history news the same way so that node i is history news i), and the number of
// real slots is the length of the non-padding prefix. So the per-sample `history_category_indices`
// - int32 [max_history_num], category of slot i, padded at the tail with `category_num` exactly
// like NNR's own `user_history_category_indices` - is sufficient to rebuild the graph bit for bit;
// no edge list needs storing (200 bytes per sample at N = 50). NNR's `user_history_category_mask`
// [C + 1] is derivable from it too (history_category_mask).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rsdist::mind {

enum class GraphNormalization { kSymmetric, kAsymmetric };

// Defaults are NNR's config.py (--max_history_num, --no_self_connection,
// --no_adjacent_normalization, --gcn_normalization_type).
struct HistoryGraphOptions {
  std::int32_t max_history_num = 50;
  std::int32_t category_num = 0;  // size of the category dictionary (train news categories)
  bool self_connection = true;
  bool adjacent_normalization = true;
  GraphNormalization normalization = GraphNormalization::kSymmetric;

  std::int32_t graph_size() const { return max_history_num + category_num; }
  std::int32_t padding_category() const { return category_num; }
  // Throws rsdist::Error for non-positive sizes, and (as NNR's config asserts) for normalisation
  // without self-connections, where isolated nodes would have degree 0.
  void validate() const;
};

// The compact form of one history: the categories of the whole click history (oldest first), cut
// to the last max_history_num and padded at the tail with padding_category(). `out` has
// max_history_num entries. Throws for a category outside [0, category_num).
void history_category_indices(std::span<const std::int32_t> history_categories,
                              const HistoryGraphOptions& options, std::span<std::int32_t> out);
std::vector<std::int32_t> history_category_indices(std::span<const std::int32_t> history_categories,
                                                   const HistoryGraphOptions& options);

// NNR's user_history_category_mask (bool in the seed): out[c] = 1 for each category present,
// 0 otherwise, including out[C], the padding category. `out` has category_num + 1 entries.
void history_category_mask(std::span<const std::int32_t> category_indices,
                           const HistoryGraphOptions& options, std::span<std::uint8_t> out);

// COO adjacency, row-major with ascending columns within a row (the order of numpy's nonzero()
// on the dense matrix), holding exactly the dense matrix's nonzero entries.
struct SparseGraph {
  std::int32_t size = 0;  // G
  std::vector<std::int32_t> rows;
  std::vector<std::int32_t> cols;
  std::vector<float> values;
};

// Rebuilds graphs from compact indices (see the Note above). Keeps its scratch buffers, so the
// per-sample calls allocate nothing; one builder per thread (it is not thread-safe).
// Indices must be a prefix of real categories in [0, C) followed only by padding (C); anything
// else throws, since no NNR history can produce it.
class HistoryGraphBuilder {
 public:
  explicit HistoryGraphBuilder(const HistoryGraphOptions& options);

  const HistoryGraphOptions& options() const { return options_; }

  // out: G*G floats, row-major; fully overwritten.
  void dense(std::span<const std::int32_t> category_indices, std::span<float> out);
  // category_indices: B * max_history_num; out: B * G * G (B = category_indices.size() / N).
  void dense_batch(std::span<const std::int32_t> category_indices, std::span<float> out);
  // Appends one graph's entries to `out` (cleared first when `clear` is set).
  void sparse(std::span<const std::int32_t> category_indices, SparseGraph& out, bool clear = true);

 private:
  std::int32_t prepare(std::span<const std::int32_t> category_indices);
  template <typename Emit>
  void for_each_entry(std::span<const std::int32_t> category_indices, std::int32_t history_len,
                      Emit&& emit) const;

  HistoryGraphOptions options_;
  // Scratch, sized once from the options:
  std::vector<std::int32_t> category_count_;  // [C] real slots per category
  std::vector<std::int32_t>
      category_begin_;  // [C + 1] start of each category in slots_by_category_
  std::vector<std::int32_t> slots_by_category_;   // [N] real slots grouped by category, ascending
  std::vector<std::int32_t> present_categories_;  // ascending, size = number present
  std::vector<float> row_factor_;  // [G] 1/deg (asymmetric), sqrt(1/deg) (symmetric), or 1
};

// One-shot conveniences (each builds a builder; use HistoryGraphBuilder in loops).
std::vector<float> build_dense_graph(std::span<const std::int32_t> category_indices,
                                     const HistoryGraphOptions& options);
SparseGraph build_sparse_graph(std::span<const std::int32_t> category_indices,
                               const HistoryGraphOptions& options);

}  // namespace rsdist::mind
