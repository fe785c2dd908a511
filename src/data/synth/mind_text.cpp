// Text of the synthetic MIND news: titles and abstracts built from the topic's words, entity
// mentions and the entity JSON columns (a part of NewsWorld; the rest is in mind_news.cpp).
//
// Text looks like MIND's on purpose: Title Case or sentence case, attached punctuation (", : ? !
// …"),
// "'s" after names, " | PHOTOS" tags, numbers and a few accented words, so tokenizers meet the same
// cases as on the real data.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "data/synth/mind_news.hpp"
#include "data/synth/synth_io.hpp"

namespace rsdist::synth::mind {

struct NewsWorld::TextOut {
  std::string text;
  std::int64_t code_points = 0;
  std::vector<Mention> mentions;

  void append(std::string_view s) {
    text += s;
    code_points += static_cast<std::int64_t>(utf8_length(s));
  }
};

std::int32_t NewsWorld::draw_word(Rng& rng, std::int32_t topic) {
  const double r = rng.uniform01();
  if (r < 0.30) return stop_ids_[stop_sampler_(rng)];
  if (r < 0.33) return number_ids_[number_sampler_(rng)];
  if (r < 0.34) return accented_ids_[rng.uniform_below(accented_ids_.size())];
  if (r < 0.55) return general_ids_[general_sampler_(rng)];
  // Mostly the article's own topic; a little cross-topic vocabulary keeps the signal imperfect.
  const auto t = rng.bernoulli(0.06) ? topic_sampler_(rng) : static_cast<std::size_t>(topic);
  return topic_word_ids_[t][topic_word_samplers_[t](rng)];
}

std::int32_t NewsWorld::draw_entity(Rng& rng, std::int32_t topic) {
  const auto t = rng.bernoulli(0.1) ? topic_sampler_(rng) : static_cast<std::size_t>(topic);
  return topic_entity_ids_[t][topic_entity_samplers_[t](rng)];
}

// Writes `words` words (entity surface forms count with their length) in random order: the first
// word capitalised, Title Case when asked, commas now and then, an occasional "'s" after an entity,
// and in titles sometimes a colon ("Kick Off: ...").
void NewsWorld::render_units(Rng& rng, std::int32_t topic, std::int64_t words,
                             const std::vector<std::int32_t>& entities, bool is_title,
                             bool title_case, TextOut& out) {
  struct Unit {
    std::int32_t entity;
    std::int32_t word;
  };
  std::vector<Unit> units;
  std::int64_t remaining = words;
  for (std::int32_t e : entities) {
    const auto length = static_cast<std::int64_t>(entities_[e].surface_words.size());
    if (length < remaining) {  // keep room for at least one ordinary word
      units.push_back({e, -1});
      remaining -= length;
    }
  }
  for (; remaining > 0; --remaining) units.push_back({-1, draw_word(rng, topic)});
  rng.shuffle(units);

  const auto n = static_cast<std::int64_t>(units.size());
  const std::int64_t colon_after = is_title && n >= 4 && rng.bernoulli(0.15)
                                       ? rng.uniform_int(0, std::min<std::int64_t>(2, n - 3))
                                       : -1;
  bool capital_next = true;
  for (std::int64_t i = 0; i < n; ++i) {
    if (i > 0) out.append(" ");
    const Unit& u = units[i];
    if (u.entity >= 0) {
      const Entity& e = entities_[u.entity];
      out.mentions.push_back({u.entity, out.code_points});
      out.append(e.surface);
      for (std::int32_t w : e.surface_words) ++words_[w].count;
      if (rng.bernoulli(0.08)) {
        out.append("'s");
        ++words_[possessive_].count;
      }
    } else {
      Word& w = words_[u.word];
      const bool upper = capital_next || (title_case && w.kind != WordKind::kStop);
      out.append(upper ? capitalize(w.text) : w.text);
      ++w.count;
    }
    capital_next = false;
    if (i + 1 == n) break;
    if (i == colon_after) {
      out.append(":");
      ++words_[colon_].count;
      capital_next = true;
    } else if (rng.bernoulli(0.05)) {
      out.append(",");
      ++words_[comma_].count;
    }
  }
}

std::string NewsWorld::render_title(Rng& rng, std::int32_t topic, std::vector<Mention>& mentions) {
  TextOut out;
  const auto words = rng.uniform_int(5, 15);
  const bool tag = words >= 6 && rng.bernoulli(0.06);
  const double r = rng.uniform01();
  const int entity_count = r < 0.4 ? 0 : (r < 0.85 ? 1 : 2);
  std::vector<std::int32_t> entities;
  for (int k = 0; k < entity_count; ++k) entities.push_back(draw_entity(rng, topic));
  // About half of MIND's titles are in Title Case, the rest in sentence case.
  const bool title_case = rng.bernoulli(0.5);
  render_units(rng, topic, words - (tag ? 1 : 0), entities, true, title_case, out);
  const double end = rng.uniform01();
  if (end < 0.08) {
    out.append("?");
    ++words_[question_].count;
  } else if (end < 0.12) {
    out.append("!");
    ++words_[exclamation_].count;
  }
  if (tag) {
    const auto id = tag_ids_[rng.uniform_below(tag_ids_.size())];
    out.append(" | ");
    out.append(words_[id].text);
    ++words_[bar_].count;
    ++words_[id].count;
  }
  mentions = std::move(out.mentions);
  return std::move(out.text);
}

std::string NewsWorld::render_abstract(Rng& rng, std::int32_t topic,
                                       const std::vector<Mention>& title_mentions,
                                       std::vector<Mention>& mentions) {
  mentions.clear();
  if (rng.bernoulli(0.05)) return {};  // MIND has some empty abstracts

  // Abstracts often name the title's entities again, plus a few of their own.
  std::vector<std::int32_t> entities;
  for (const Mention& m : title_mentions) {
    if (rng.bernoulli(0.6)) entities.push_back(m.entity);
  }
  const double r = rng.uniform01();
  const int own = r < 0.5 ? 0 : (r < 0.85 ? 1 : 2);
  for (int k = 0; k < own; ++k) entities.push_back(draw_entity(rng, topic));

  // Split the words into sentences of 4..16 words; each entity goes into one of them.
  std::vector<std::int64_t> lengths;
  for (auto left = rng.uniform_int(5, 40); left > 0;) {
    auto length = std::min(left, rng.uniform_int(5, 16));
    if (left - length < 4) length = left;
    lengths.push_back(length);
    left -= length;
  }
  std::vector<std::vector<std::int32_t>> per_sentence(lengths.size());
  for (std::int32_t e : entities) per_sentence[rng.uniform_below(lengths.size())].push_back(e);

  TextOut out;
  for (std::size_t s = 0; s < lengths.size(); ++s) {
    if (s > 0) out.append(" ");
    render_units(rng, topic, lengths[s], per_sentence[s], false, false, out);
    const bool last = s + 1 == lengths.size();
    if (last && rng.bernoulli(0.04)) {
      out.append("…");  // a truncated abstract, as MIND's often are
      ++words_[ellipsis_].count;
    } else if (rng.bernoulli(0.05)) {
      out.append("?");
      ++words_[question_].count;
    } else {
      out.append(".");
      ++words_[period_].count;
    }
  }
  mentions = std::move(out.mentions);
  return std::move(out.text);
}

// MIND's entity JSON: one object per entity, keys in MIND's order, Python's ", " / ": " separators,
// offsets and surface forms listed per occurrence.
void NewsWorld::append_entities_json(std::string& out, const std::vector<Mention>& mentions) const {
  std::vector<std::int32_t> order;  // entities by first mention
  for (const Mention& m : mentions) {
    if (std::find(order.begin(), order.end(), m.entity) == order.end()) order.push_back(m.entity);
  }
  out += '[';
  for (std::size_t k = 0; k < order.size(); ++k) {
    const Entity& e = entities_[order[k]];
    if (k > 0) out += ", ";
    out += "{\"Label\": ";
    append_json_string(out, e.label);
    out += ", \"Type\": \"";
    out += e.type;
    out += "\", \"WikidataId\": \"" + e.wikidata_id + "\", \"Confidence\": " + e.confidence +
           ", \"OccurrenceOffsets\": [";
    std::size_t occurrences = 0;
    for (const Mention& m : mentions) {
      if (m.entity != order[k]) continue;
      if (occurrences++ > 0) out += ", ";
      append_int(out, m.offset);
    }
    out += "], \"SurfaceForms\": [";
    for (std::size_t i = 0; i < occurrences; ++i) {
      if (i > 0) out += ", ";
      append_json_string(out, e.surface);
    }
    out += "]}";
  }
  out += ']';
}

}  // namespace rsdist::synth::mind
