#include "data/seq/witg.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace rsdist::seq {
namespace {

// One "add 1/window to w(row, column)" step of the reference, stored in its row's bucket. Buckets
// are filled in the reference's loop order, so a position inside a bucket is the reference's time.
struct Event {
  std::int32_t column;
  std::int32_t window;
};

// A distinct neighbour of one row after merging its events.
struct Neighbour {
  std::int32_t column;
  std::uint32_t first_position;  // when the neighbour entered the row's dict in the reference
  double weight;
};

// Calls visit(a, b, window) for every pair in the reference's loop order: sequence, then window,
// then position.
template <typename Visit>
void for_each_pair(const SequenceCorpus& sequences, int max_window, Visit&& visit) {
  for (std::size_t s = 0; s < sequences.num_sequences(); ++s) {
    const std::span<const std::int32_t> sequence = sequences.sequence(s);
    const auto length = static_cast<std::int64_t>(sequence.size());
    for (int window = 1; window <= max_window; ++window) {
      for (std::int64_t t = 0; t + window < length; ++t) {
        visit(sequence[static_cast<std::size_t>(t)], sequence[static_cast<std::size_t>(t + window)],
              window);
      }
    }
  }
}

// Groups the row's events by column, summing 1/window in event order (the reference's float
// order), then orders the neighbours by weight descending, first appearance ascending.
void merge_row(std::span<const Event> row_events, std::vector<std::uint64_t>& keys,
               std::vector<Neighbour>& neighbours) {
  keys.clear();
  neighbours.clear();
  for (std::size_t position = 0; position < row_events.size(); ++position) {
    keys.push_back(static_cast<std::uint64_t>(row_events[position].column) << 32 | position);
  }
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 0; i < keys.size();) {
    const auto column = static_cast<std::int32_t>(keys[i] >> 32);
    const auto first_position = static_cast<std::uint32_t>(keys[i]);
    double weight = 0.0;
    for (; i < keys.size() && static_cast<std::int32_t>(keys[i] >> 32) == column; ++i) {
      weight += 1.0 / row_events[static_cast<std::uint32_t>(keys[i])].window;
    }
    neighbours.push_back({column, first_position, weight});
  }
  std::sort(neighbours.begin(), neighbours.end(), [](const Neighbour& x, const Neighbour& y) {
    if (x.weight != y.weight) return x.weight > y.weight;
    return x.first_position < y.first_position;
  });
}

}  // namespace

WitgNormalization parse_witg_normalization(std::string_view name) {
  if (name == "none") return WitgNormalization::kNone;
  if (name == "renorm") return WitgNormalization::kRenorm;
  RSDIST_THROW("unknown WITG normalisation '{}'; expected none or renorm", name);
}

std::string_view witg_normalization_name(WitgNormalization normalization) {
  return normalization == WitgNormalization::kRenorm ? "renorm" : "none";
}

WeightedGraph build_witg(const SequenceCorpus& train_sequences, const WitgOptions& options) {
  RSDIST_CHECK(options.max_window >= 1, "WITG window must be at least 1, got {}",
               options.max_window);
  const std::int64_t needed_nodes = std::int64_t{train_sequences.max_item()} + 1;
  const std::int64_t num_nodes = options.num_nodes == 0 ? needed_nodes : options.num_nodes;
  RSDIST_CHECK(num_nodes >= needed_nodes,
               "WITG node count {} is too small: the sequences contain item {} (need at least {})",
               num_nodes, needed_nodes - 1, needed_nodes);

  // Bucket the events by row with a counting sort: two passes over the pairs, no per-row maps.
  std::vector<std::int64_t> bucket_offsets(static_cast<std::size_t>(num_nodes) + 1, 0);
  for_each_pair(train_sequences, options.max_window, [&](std::int32_t a, std::int32_t b, int) {
    ++bucket_offsets[static_cast<std::size_t>(a) + 1];
    ++bucket_offsets[static_cast<std::size_t>(b) + 1];
  });
  for (std::size_t r = 1; r < bucket_offsets.size(); ++r)
    bucket_offsets[r] += bucket_offsets[r - 1];
  std::vector<Event> events(static_cast<std::size_t>(bucket_offsets.back()));
  std::vector<std::int64_t> cursor(bucket_offsets.begin(), bucket_offsets.end() - 1);
  for_each_pair(
      train_sequences, options.max_window, [&](std::int32_t a, std::int32_t b, int window) {
        // w(a, b) first, then w(b, a): for a == b both land on the self-loop.
        events[static_cast<std::size_t>(cursor[static_cast<std::size_t>(a)]++)] = {b, window};
        events[static_cast<std::size_t>(cursor[static_cast<std::size_t>(b)]++)] = {a, window};
      });

  WeightedGraph graph;
  graph.num_nodes = num_nodes;
  graph.row_offsets.reserve(static_cast<std::size_t>(num_nodes) + 1);
  std::vector<double> raw_weights;
  std::vector<std::uint64_t> keys;
  std::vector<Neighbour> neighbours;
  for (std::int64_t row = 0; row < num_nodes; ++row) {
    const auto begin = static_cast<std::size_t>(bucket_offsets[static_cast<std::size_t>(row)]);
    const auto end = static_cast<std::size_t>(bucket_offsets[static_cast<std::size_t>(row) + 1]);
    RSDIST_CHECK(end - begin <= UINT32_MAX, "WITG row {} has too many transitions", row);
    merge_row(std::span<const Event>(events).subspan(begin, end - begin), keys, neighbours);
    for (const Neighbour& neighbour : neighbours) {
      graph.columns.push_back(neighbour.column);
      raw_weights.push_back(neighbour.weight);
    }
    graph.row_offsets.push_back(static_cast<std::int64_t>(graph.columns.size()));
  }

  graph.weights.resize(raw_weights.size());
  if (options.normalization == WitgNormalization::kNone) {
    std::transform(raw_weights.begin(), raw_weights.end(), graph.weights.begin(),
                   [](double w) { return static_cast<float>(w); });
    return graph;
  }
  // The graph is symmetric, so the in-degree of a column equals its out-degree (row length).
  std::vector<double> inverse_degree(static_cast<std::size_t>(num_nodes), 0.0);
  for (std::size_t r = 0; r < inverse_degree.size(); ++r) {
    const std::int64_t degree = graph.row_offsets[r + 1] - graph.row_offsets[r];
    if (degree > 0) inverse_degree[r] = 1.0 / static_cast<double>(degree);
  }
  for (std::size_t r = 0; r < inverse_degree.size(); ++r) {
    for (auto e = static_cast<std::size_t>(graph.row_offsets[r]);
         e < static_cast<std::size_t>(graph.row_offsets[r + 1]); ++e) {
      const double scale =
          inverse_degree[r] + inverse_degree[static_cast<std::size_t>(graph.columns[e])];
      graph.weights[e] = static_cast<float>(raw_weights[e] * scale);
    }
  }
  return graph;
}

}  // namespace rsdist::seq
