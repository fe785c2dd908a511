#include <ostream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "data/synth/synth.hpp"

namespace rsdist::app {
namespace {

struct MindPreset {
  const char* name;
  std::int64_t news, users, train_impressions, dev_impressions, test_impressions;
};

// "mind_small" matches MIND-small's train split (51,282 news, 156,965 impressions).
constexpr MindPreset kMindPresets[] = {
    {"tiny", 300, 100, 400, 100, 100},
    {"small", 2000, 500, 2000, 500, 500},
    {"mind_small", 51282, 50000, 156965, 73152, 73152},
};

// A preset fills the sizes the user did not set explicitly (on the command line or in --config).
std::int64_t sized(const Config& config, const std::string& name, std::int64_t preset_value) {
  return config.origin(name) == "default" ? preset_value : config.get_int(name);
}

synth::MindOptions mind_options(const Config& config) {
  synth::MindOptions o;
  o.seed = static_cast<std::uint64_t>(config.get_int("seed"));
  const MindPreset* preset = nullptr;
  for (const auto& p : kMindPresets) {
    if (config.get_string("preset") == p.name) preset = &p;
  }
  o.news = preset ? sized(config, "news", preset->news) : config.get_int("news");
  o.users = preset ? sized(config, "users", preset->users) : config.get_int("users");
  o.train_impressions = preset ? sized(config, "train_impressions", preset->train_impressions)
                               : config.get_int("train_impressions");
  o.dev_impressions = preset ? sized(config, "dev_impressions", preset->dev_impressions)
                             : config.get_int("dev_impressions");
  o.test_impressions = preset ? sized(config, "test_impressions", preset->test_impressions)
                              : config.get_int("test_impressions");
  o.topics = config.get_int("topics");
  o.word_dim = config.get_int("word_dim");
  o.entity_dim = config.get_int("entity_dim");
  return o;
}

}  // namespace

OptionSchema synth_schema() {
  const synth::MindOptions mind;
  const synth::SeqOptions seq;
  const synth::RatingsOptions ratings;
  OptionSchema s("rsdist synth");
  add_common_options(s);
  s.group("synth")
      .add_string("kind", std::nullopt, "what to write").required().positional()
      .choices({"mind", "seq", "ratings"})
      .add_string("out", std::nullopt, "output directory (written atomically)").required()
      .add_int("seed", 1, "random seed; the same seed gives byte-identical files").at_least(0)
      .add_flag("force", "replace an existing output directory");
  s.group("mind")
      .add_string("preset", "custom", "sizes: custom (the options below), tiny, small, "
                                      "mind_small (MIND-small's size); explicit sizes win")
      .choices({"custom", "tiny", "small", "mind_small"})
      .add_int("news", mind.news, "news articles").at_least(10)
      .add_int("users", mind.users, "users").at_least(2)
      .add_int("train_impressions", mind.train_impressions, "train impressions").at_least(1)
      .add_int("dev_impressions", mind.dev_impressions, "dev impressions").at_least(1)
      .add_int("test_impressions", mind.test_impressions, "test impressions (unlabelled)")
      .at_least(1)
      .add_int("topics", mind.topics, "categories, each with its own words and entities")
      .at_least(2)
      .add_int("word_dim", mind.word_dim, "size of the GloVe-format word vectors").at_least(1)
      .add_int("entity_dim", mind.entity_dim, "size of the entity vectors").at_least(1);
  s.group("seq")
      .add_int("seq_users", seq.users, "users (one sequence each)").at_least(1)
      .add_int("seq_items", seq.items, "items").at_least(2)
      .add_int("clusters", seq.clusters, "item clusters").at_least(1)
      .add_int("min_length", seq.min_length, "shortest sequence").at_least(3)
      .add_int("max_length", seq.max_length, "longest sequence").at_least(3)
      .add_int("attributes", seq.attributes, "item attributes (S3Rec)").at_least(1);
  s.group("ratings")
      .add_int("rating_users", ratings.users, "users").at_least(1)
      .add_int("rating_items", ratings.items, "items").at_least(2)
      .add_int("genres", ratings.genres, "genres").at_least(1)
      .add_int("min_ratings", ratings.min_ratings_per_user, "fewest ratings per user").at_least(1)
      .add_int("max_ratings", ratings.max_ratings_per_user, "most ratings per user").at_least(1);
  return s;
}

int run_synth(const Config& config, CommandIo& io) {
  const std::string& kind = config.get_string("kind");
  StagingDirectory staging(config.get_string("out"), config.get_bool("force"));
  std::string summary;
  if (kind == "mind") {
    const auto options = mind_options(config);
    synth::validate(options);
    const auto s = synth::write_mind(options, staging.path());
    summary = fmt::format("{} news, {} users, {}/{}/{} train/dev/test impressions, {} words, "
                          "{} entities",
                          s.news, s.users, s.train_impressions, s.dev_impressions,
                          s.test_impressions, s.words, s.entities);
  } else if (kind == "seq") {
    synth::SeqOptions o;
    o.seed = static_cast<std::uint64_t>(config.get_int("seed"));
    o.users = config.get_int("seq_users");
    o.items = config.get_int("seq_items");
    o.clusters = config.get_int("clusters");
    o.min_length = config.get_int("min_length");
    o.max_length = config.get_int("max_length");
    o.attributes = config.get_int("attributes");
    synth::validate(o);
    const auto s = synth::write_seq(o, staging.path());
    summary = fmt::format("{} users, {} items, {} interactions", s.users, s.items, s.interactions);
  } else {
    synth::RatingsOptions o;
    o.seed = static_cast<std::uint64_t>(config.get_int("seed"));
    o.users = config.get_int("rating_users");
    o.items = config.get_int("rating_items");
    o.genres = config.get_int("genres");
    o.min_ratings_per_user = config.get_int("min_ratings");
    o.max_ratings_per_user = config.get_int("max_ratings");
    synth::validate(o);
    const auto s = synth::write_ratings(o, staging.path());
    summary = fmt::format("{} users, {} items, {} ratings", s.users, s.items, s.ratings);
  }
  staging.commit();
  io.log.root->info("synth {}: wrote {} ({})", kind, staging.destination().string(), summary);
  return 0;
}

}  // namespace rsdist::app
