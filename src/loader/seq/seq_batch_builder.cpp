#include "loader/seq/seq_batch_builder.hpp"

#include <ATen/Context.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/stopwatch.hpp"
#include "data/seq/neighbor_sampler.hpp"
#include "data/seq/sequence_splits.hpp"

namespace rsdist::loader {
namespace {

at::TensorOptions host_options(at::ScalarType type, bool pinned) {
  return at::TensorOptions().dtype(type).device(at::kCPU).pinned_memory(pinned);
}

// A tensor of `sizes` over the memory of `values`. Unpinned, the tensor adopts the vector (its
// deleter frees it): no copy. Pinned, the values must move into page-locked memory: one memcpy.
template <class T>
at::Tensor adopt(std::vector<T>&& values, at::IntArrayRef sizes, at::ScalarType type, bool pinned) {
  if (pinned || values.empty()) {
    at::Tensor out = at::empty(sizes, host_options(type, pinned));
    if (!values.empty()) std::memcpy(out.data_ptr(), values.data(), values.size() * sizeof(T));
    return out;
  }
  auto owner = std::make_unique<std::vector<T>>(std::move(values));
  std::vector<T>* raw = owner.get();
  at::Tensor out = at::from_blob(
      raw->data(), sizes, [raw](void*) { delete raw; }, host_options(type, false));
  owner.release();  // the tensor's storage owns it now
  return out;
}

void check_request(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                   std::span<const std::int64_t> ids, const SeqBatchOptions& options) {
  RSDIST_CHECK(!ids.empty(), "sequence batch: no example ids given; a batch needs at least one");
  RSDIST_CHECK(options.max_seq_length >= 1,
               "sequence batch: max_seq_length is {}; it must be at least 1",
               options.max_seq_length);
  RSDIST_CHECK(corpus.graph.num_nodes >= 1,
               "sequence batch: the corpus's item graph has no node 0 (the padding item), so "
               "padded positions cannot be sampled; was the corpus's witg/ read?");
  const auto num_examples = static_cast<std::int64_t>(examples.size());
  const auto num_rows = static_cast<std::int64_t>(corpus.sequences.num_sequences());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::int64_t id = ids[i];
    RSDIST_CHECK(id >= 0 && id < num_examples,
                 "sequence batch: example id {} at position {} is outside the {} examples", id, i,
                 num_examples);
    const auto e = static_cast<std::size_t>(id);
    const std::int64_t row = examples.rows[e];
    RSDIST_CHECK(row >= 0 && row < num_rows,
                 "sequence batch: example {} refers to corpus row {}, outside the corpus's {} "
                 "sequences; the examples do not belong to this corpus",
                 id, row, num_rows);
    const auto length =
        static_cast<std::int64_t>(corpus.sequences.sequence(static_cast<std::size_t>(row)).size());
    RSDIST_CHECK(examples.prefix_lengths[e] >= 0 && examples.prefix_lengths[e] <= length,
                 "sequence batch: example {} has prefix length {} but row {} has {} items; the "
                 "examples do not belong to this corpus",
                 id, examples.prefix_lengths[e], row, length);
  }
}

models::GraphView to_view(seq::NeighborSample&& sample, const seq::WeightedGraph& graph,
                          bool pinned) {
  RSDIST_CHECK(sample.blocks.size() == 1,
               "sequence batch: expected one sampled block per view, got {}", sample.blocks.size());
  seq::BipartiteBlock& block = sample.blocks.front();
  const std::int64_t num_edges = block.num_edges();
  const auto num_nodes = static_cast<std::int64_t>(sample.n_id.size());

  models::GraphView view;
  view.edge_weight = at::empty({num_edges}, host_options(at::kFloat, pinned));
  float* weight = view.edge_weight.data_ptr<float>();
  const std::int64_t* e_id = block.e_id.data();
  const float* graph_weights = graph.weights.data();
  for (std::int64_t e = 0; e < num_edges; ++e) weight[e] = graph_weights[e_id[e]];
  view.nodes = adopt(std::move(sample.n_id), {num_nodes}, at::kLong, pinned);
  view.edge_index = adopt(std::move(block.edge_index), {2, num_edges}, at::kLong, pinned);
  return view;
}

}  // namespace

models::SeqBatch build_seq_batch(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                                 std::span<const std::int64_t> ids, const SeqBatchOptions& options,
                                 Rng& rng, double* sample_seconds) {
  check_request(corpus, examples, ids, options);
  const bool pinned = options.pin_memory && at::hasCUDA();
  const auto batch = static_cast<std::int64_t>(ids.size());
  const std::int64_t width = options.max_seq_length;

  models::SeqBatch out;
  out.users = at::empty({batch}, host_options(at::kLong, pinned));
  out.inputs = at::empty({batch, width}, host_options(at::kLong, pinned));
  out.targets = at::empty({batch}, host_options(at::kLong, pinned));
  std::int64_t* users = out.users.data_ptr<std::int64_t>();
  std::int64_t* inputs = out.inputs.data_ptr<std::int64_t>();
  std::int64_t* targets = out.targets.data_ptr<std::int64_t>();
  for (std::int64_t b = 0; b < batch; ++b) {
    const auto e = static_cast<std::size_t>(ids[static_cast<std::size_t>(b)]);
    const std::span<const std::int32_t> window =
        seq::example_window(corpus.sequences, examples, e, static_cast<std::size_t>(width));
    const auto padding = width - static_cast<std::int64_t>(window.size());
    std::int64_t* row = inputs + b * width;
    std::fill(row, row + padding, std::int64_t{0});
    std::copy(window.begin(), window.end(), row + padding);
    users[b] = examples.rows[e];
    targets[b] = examples.targets[e];
  }

  // The positions, row-major, are the targets of both views (the sampler validates the item ids).
  const std::span<const std::int64_t> positions(inputs, static_cast<std::size_t>(batch * width));
  const seq::NeighborSamplerOptions sampler{.sample_sizes = {options.sample_size},
                                            .num_threads = options.sampler_threads};
  double sampling = 0;
  for (models::GraphView& view : out.views) {
    const auto start = SteadyClock::now();
    seq::NeighborSample sample = seq::sample_neighbors(corpus.graph, positions, sampler, rng);
    sampling += seconds_since(start);
    view = to_view(std::move(sample), corpus.graph, pinned);
  }
  if (sample_seconds != nullptr) *sample_seconds = sampling;
  return out;
}

}  // namespace rsdist::loader
