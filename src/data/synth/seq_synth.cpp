// Synthetic sequential-recommendation data in the GCL4SR and S3Rec formats.
//
// Planted structure: items belong to clusters and each item has 1-3 favoured successors (a sparse
// Markov chain, mostly within its cluster). A user prefers 1-2 clusters; the next item is usually a
// favoured successor of the previous one, otherwise an item of the user's clusters, with a small
// popularity-weighted random part. So "the most frequent successor of the last item" predicts the
// held-out item far better than popularity, which in turn beats chance.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "data/synth/synth.hpp"
#include "data/synth/synth_io.hpp"
#include "data/synth/synth_text.hpp"

namespace rsdist::synth {

namespace {

enum SeqStream : std::uint64_t { kSeqItems = 101, kSeqUsers, kSeqCoverage, kSeqAttributes };

constexpr std::int64_t kMaxCount = 100'000'000;
constexpr std::int64_t kMaxLength = 100'000;

constexpr double kFollowSuccessor = 0.65;  // next item = a favoured successor of the previous one
constexpr double kOwnCluster = 0.25;       // next item = popular item of one of the user's clusters
                                           // (the rest: popular item from anywhere)

struct ItemWorld {
  std::vector<std::int32_t> cluster;                  // per item
  std::vector<std::vector<std::int32_t>> successors;  // per item, favoured next items
  std::vector<std::vector<std::int32_t>> members;     // per cluster
  std::vector<WeightedSampler> cluster_popular;       // per cluster, over members
  WeightedSampler popular;                            // over all items
};

ItemWorld build_items(const SeqOptions& o) {
  Rng rng = Rng::stream(o.seed, {kSeqItems});
  const auto items = static_cast<std::size_t>(o.items);
  const auto clusters = static_cast<std::size_t>(o.clusters);
  ItemWorld w;
  w.cluster.resize(items);
  w.members.resize(clusters);
  // Cluster sizes vary (Zipf-like); the first `clusters` items seed one cluster each so none is
  // empty.
  const WeightedSampler cluster_sizes(zipf_weights(clusters, 3.0));
  std::vector<double> popularity(items);
  for (std::size_t i = 0; i < items; ++i) {
    w.cluster[i] = static_cast<std::int32_t>(i < clusters ? i : cluster_sizes(rng));
    w.members[w.cluster[i]].push_back(static_cast<std::int32_t>(i));
    popularity[i] = lognormal_weight(rng, 1.0);
  }
  w.popular = WeightedSampler(popularity);
  for (const auto& m : w.members) {
    std::vector<double> weights;
    for (std::int32_t i : m) weights.push_back(popularity[i]);
    w.cluster_popular.emplace_back(weights);
  }

  w.successors.resize(items);
  for (std::size_t i = 0; i < items; ++i) {
    const auto& m = w.members[w.cluster[i]];
    const auto count = 1 + rng.categorical({0.3, 0.4, 0.3});
    for (std::size_t k = 0; k < count; ++k) {
      std::int32_t next = -1;
      for (int tries = 0; tries < 8 && (next < 0 || next == static_cast<std::int32_t>(i));
           ++tries) {
        next = rng.bernoulli(0.85) && m.size() > 1 ? m[w.cluster_popular[w.cluster[i]](rng)]
                                                   : static_cast<std::int32_t>(w.popular(rng));
      }
      if (next != static_cast<std::int32_t>(i)) w.successors[i].push_back(next);
    }
  }
  return w;
}

std::vector<std::vector<std::int32_t>> build_sequences(const SeqOptions& o, const ItemWorld& w) {
  Rng rng = Rng::stream(o.seed, {kSeqUsers});
  const auto clusters = static_cast<std::size_t>(o.clusters);
  static const std::vector<double> kSuccessorWeights[] = {{1.0}, {0.65, 0.35}, {0.6, 0.3, 0.1}};
  std::vector<std::vector<std::int32_t>> sequences(static_cast<std::size_t>(o.users));
  for (auto& seq : sequences) {
    std::vector<std::size_t> own = {rng.uniform_below(clusters)};
    if (clusters > 1 && rng.bernoulli(0.4)) {
      std::size_t second = rng.uniform_below(clusters - 1);
      own.push_back(second >= own[0] ? second + 1 : second);
    }
    auto from_own = [&] {
      const auto c = own[rng.uniform_below(own.size())];
      return w.members[c][w.cluster_popular[c](rng)];
    };
    // Lengths skewed towards short sequences, as in the Amazon data sets.
    const double u = rng.uniform01();
    const auto span = o.max_length - o.min_length + 1;
    const auto length =
        std::min(o.max_length, o.min_length + static_cast<std::int64_t>(span * u * u * u));
    seq.push_back(from_own());
    while (static_cast<std::int64_t>(seq.size()) < length) {
      const auto prev = seq.back();
      std::int32_t next = prev;
      for (int tries = 0; tries < 5 && next == prev; ++tries) {  // no immediate repeats
        const double r = rng.uniform01();
        const auto& succ = w.successors[prev];
        if (r < kFollowSuccessor && !succ.empty()) {
          next = succ[rng.categorical(kSuccessorWeights[succ.size() - 1])];
        } else if (r < kFollowSuccessor + kOwnCluster) {
          next = from_own();
        } else {
          next = static_cast<std::int32_t>(w.popular(rng));
        }
      }
      seq.push_back(next);
    }
  }
  return sequences;
}

// Every item must appear at least once (both published data sets number items 1..N without gaps).
// Missing items are inserted before the last (held-out) item of a sequence with room to grow, or
// replace a duplicated occurrence when every sequence is full.
void cover_all_items(const SeqOptions& o, std::vector<std::vector<std::int32_t>>& sequences) {
  Rng rng = Rng::stream(o.seed, {kSeqCoverage});
  std::vector<std::int64_t> count(static_cast<std::size_t>(o.items), 0);
  for (const auto& s : sequences) {
    for (std::int32_t i : s) ++count[i];
  }
  const auto users = sequences.size();
  for (std::size_t item = 0; item < count.size(); ++item) {
    if (count[item] > 0) continue;
    std::size_t user = users;
    for (int tries = 0; tries < 64 && user == users; ++tries) {
      const auto u = rng.uniform_below(users);
      if (static_cast<std::int64_t>(sequences[u].size()) < o.max_length) user = u;
    }
    for (std::size_t u = 0; u < users && user == users; ++u) {
      if (static_cast<std::int64_t>(sequences[u].size()) < o.max_length) user = u;
    }
    if (user < users) {
      auto& s = sequences[user];
      const auto pos = rng.uniform_below(s.size());  // 0..len-1: before the last item
      s.insert(s.begin() + static_cast<std::ptrdiff_t>(pos), static_cast<std::int32_t>(item));
      ++count[item];
      continue;
    }
    // All sequences full: validate() guarantees users * max_length >= items, so some item repeats.
    bool placed = false;
    for (std::size_t u = 0; u < users && !placed; ++u) {
      for (auto& slot : sequences[u]) {
        if (count[slot] > 1) {
          --count[slot];
          slot = static_cast<std::int32_t>(item);
          ++count[item];
          placed = true;
          break;
        }
      }
    }
    RSDIST_CHECK(placed, "internal error: cannot place item {} in any sequence", item);
  }
}

}  // namespace

void validate(const SeqOptions& o) {
  check_option_range("seq_users", o.users, 1, kMaxCount);
  check_option_range("seq_items", o.items, 2, kMaxCount);
  check_option_range("clusters", o.clusters, 1, o.items);
  check_option_range("min_length", o.min_length, 3, kMaxLength);
  check_option_range("max_length", o.max_length, o.min_length, kMaxLength);
  check_option_range("attributes", o.attributes, 1, kMaxCount);
  RSDIST_CHECK(
      o.items <= o.users * o.max_length,
      "--seq_items ({}) must be <= --seq_users x --max_length ({}) so that every item can appear",
      o.items, o.users * o.max_length);
}

SeqSummary write_seq(const SeqOptions& o, const std::filesystem::path& dir) {
  validate(o);
  RSDIST_CHECK(std::filesystem::is_directory(dir), "output directory {} does not exist",
               dir.string());
  const ItemWorld world = build_items(o);
  auto sequences = build_sequences(o, world);
  cover_all_items(o, sequences);

  // Item ids 1..N in order of first appearance, like both published files.
  std::vector<std::int32_t> new_id(static_cast<std::size_t>(o.items), 0);
  std::vector<std::int32_t> old_id;  // new id - 1 -> internal item
  for (const auto& s : sequences) {
    for (std::int32_t i : s) {
      if (new_id[i] == 0) {
        old_id.push_back(i);
        new_id[i] = static_cast<std::int32_t>(old_id.size());
      }
    }
  }

  SeqSummary summary;
  summary.users = o.users;
  summary.items = o.items;
  TextFile gcl(dir / "sequences.txt");          // "0 1,2,3"
  TextFile s3rec(dir / "sequences_s3rec.txt");  // "1 1 2 3"
  for (std::size_t u = 0; u < sequences.size(); ++u) {
    std::string& a = gcl.buffer();
    std::string& b = s3rec.buffer();
    append_int(a, static_cast<std::int64_t>(u));
    append_int(b, static_cast<std::int64_t>(u + 1));
    for (std::size_t k = 0; k < sequences[u].size(); ++k) {
      a += k == 0 ? ' ' : ',';
      b += ' ';
      append_int(a, new_id[sequences[u][k]]);
      append_int(b, new_id[sequences[u][k]]);
    }
    a += '\n';
    b += '\n';
    summary.interactions += static_cast<std::int64_t>(sequences[u].size());
    gcl.maybe_flush();
    s3rec.maybe_flush();
  }
  gcl.close();
  s3rec.close();

  // Attributes, as in Beauty_item2attributes.json: the cluster's category (and usually its
  // sub-category) first, then one to three others (brand, ...). Ids 1..A by first appearance.
  Rng rng = Rng::stream(o.seed, {kSeqAttributes});
  const auto attributes = static_cast<std::uint64_t>(o.attributes);
  std::vector<std::array<std::int64_t, 2>> cluster_attrs(static_cast<std::size_t>(o.clusters));
  for (auto& c : cluster_attrs)
    c = {static_cast<std::int64_t>(rng.uniform_below(attributes)),
         static_cast<std::int64_t>(rng.uniform_below(attributes))};
  std::vector<std::int64_t> attr_id(attributes, 0);
  std::int64_t next_attr = 0;
  TextFile json(dir / "item2attributes.json");
  std::string& out = json.buffer();
  out += '{';
  std::vector<std::int64_t> attrs;
  for (std::size_t k = 0; k < old_id.size(); ++k) {
    const auto& c = cluster_attrs[world.cluster[old_id[k]]];
    attrs.assign({c[0]});
    if (rng.bernoulli(0.7)) attrs.push_back(c[1]);
    for (auto extra = rng.uniform_int(1, 3); extra > 0; --extra) {
      attrs.push_back(static_cast<std::int64_t>(rng.uniform_below(attributes)));
    }
    if (k > 0) out += ", ";
    out += '"';
    append_int(out, static_cast<std::int64_t>(k + 1));
    out += "\": [";
    bool first = true;
    for (std::size_t a = 0; a < attrs.size(); ++a) {
      if (std::find(attrs.begin(), attrs.begin() + static_cast<std::ptrdiff_t>(a), attrs[a]) !=
          attrs.begin() + static_cast<std::ptrdiff_t>(a)) {
        continue;  // listed already
      }
      if (attr_id[attrs[a]] == 0) attr_id[attrs[a]] = ++next_attr;
      if (!first) out += ", ";
      first = false;
      append_int(out, attr_id[attrs[a]]);
    }
    out += ']';
    json.maybe_flush();
  }
  out += '}';  // one line, no trailing newline, like the published file
  json.close();
  return summary;
}

}  // namespace rsdist::synth
