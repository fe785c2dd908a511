// Synthetic explicit ratings in the MovieLens-100K (u.data, u.item) and MovieLens-1M (ratings.dat)
// formats.
//
// Planted structure: every movie has 1-3 genres, a quality and a popularity; every user likes 1-3
// genres and has a rating bias. Users pick movies of their liked genres more often (weighted
// sampling without replacement) and rate them higher, so per-user genre preference shows in both
// which movies get rated and how.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "data/synth/synth.hpp"
#include "data/synth/synth_io.hpp"
#include "data/synth/synth_text.hpp"

namespace rsdist::synth {

namespace {

enum RatingsStream : std::uint64_t { kMovies = 201, kMovieWords, kRaters, kRatingCoverage };

constexpr std::int64_t kMaxCount = 100'000'000;

// MovieLens genres by how common they are in ML-100K, so a small --genres keeps the big ones.
constexpr std::string_view kGenresByFrequency[] = {
    "Drama",      "Comedy",      "Action",    "Thriller", "Romance",   "Adventure",
    "Children's", "Crime",       "Sci-Fi",    "Horror",   "War",       "Mystery",
    "Musical",    "Documentary", "Animation", "Western",  "Film-Noir", "Fantasy"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// ML-100K's rating period (Sep 1997 .. Apr 1998), in Unix seconds.
constexpr std::int64_t kFirstTimestamp = 874724710;
constexpr std::int64_t kLastStart = 890000000;

struct Movie {
  std::vector<std::int32_t> genres;  // indices into kGenresByFrequency
  double quality;
  double popularity;
  std::string title;  // "Brastel Quonim (1995)"
  std::string date;   // "01-Jan-1995"
};

struct Rating {
  std::int32_t user;
  std::int32_t item;
  std::int32_t value;
  std::int64_t timestamp;
};

std::vector<Movie> build_movies(const RatingsOptions& o) {
  Rng rng = Rng::stream(o.seed, {kMovies});
  WordFactory words(Rng::stream(o.seed, {kMovieWords}));
  const auto genres = static_cast<std::size_t>(o.genres);
  const std::vector<double> genre_weights = zipf_weights(genres, 2.0);
  std::vector<Movie> movies(static_cast<std::size_t>(o.items));
  for (Movie& m : movies) {
    const double r = rng.uniform01();
    const std::size_t count = std::min<std::size_t>(genres, r < 0.5 ? 1 : (r < 0.85 ? 2 : 3));
    auto weights = genre_weights;
    for (std::size_t k = 0; k < count; ++k) {
      const auto g = rng.categorical(weights);
      weights[g] = 0.0;
      m.genres.push_back(static_cast<std::int32_t>(g));
    }
    std::sort(m.genres.begin(), m.genres.end());
    m.quality = 0.5 * rng.normal();
    m.popularity = lognormal_weight(rng, 1.0);

    // Mostly recent films, as in MovieLens.
    const double u = rng.uniform01();
    const auto year = 1998 - static_cast<std::int64_t>(68.0 * u * u * u);
    std::string name;
    for (auto w = rng.uniform_int(1, 3); w > 0; --w) {
      if (!name.empty()) name += ' ';
      name += capitalize(words.make(1, 3));
    }
    if (rng.bernoulli(0.1)) name += ", The";  // "Usual Suspects, The (1995)"
    m.title = fmt::format("{} ({})", name, year);
    m.date =
        fmt::format("{:02d}-{}-{}", rng.uniform_int(1, 28), kMonths[rng.uniform_below(12)], year);
  }
  return movies;
}

std::int64_t max_per_user(const RatingsOptions& o) {
  return std::min(o.max_ratings_per_user, o.items);
}

std::string imdb_url(const std::string& title) {
  std::string url = "http://us.imdb.com/M/title-exact?";
  for (char c : title) {
    if (c == ' ') {
      url += "%20";  // MovieLens escapes only the spaces
    } else {
      url += c;
    }
  }
  return url;
}

}  // namespace

void validate(const RatingsOptions& o) {
  check_option_range("rating_users", o.users, 1, kMaxCount);
  check_option_range("rating_items", o.items, 2, kMaxCount);
  check_option_range("genres", o.genres, 1,
                     static_cast<std::int64_t>(std::size(kGenresByFrequency)));
  check_option_range("min_ratings", o.min_ratings_per_user, 1, o.items);
  // A user cannot rate more movies than there are: --max_ratings above --rating_items is capped.
  check_option_range("max_ratings", o.max_ratings_per_user, o.min_ratings_per_user, kMaxCount);
  RSDIST_CHECK(
      o.items <= o.users * max_per_user(o),
      "--rating_items ({}) must be <= --rating_users x --max_ratings ({}) so that every item "
      "can be rated",
      o.items, o.users * max_per_user(o));
}

RatingsSummary write_ratings(const RatingsOptions& o, const std::filesystem::path& dir) {
  validate(o);
  RSDIST_CHECK(std::filesystem::is_directory(dir), "output directory {} does not exist",
               dir.string());
  const auto movies = build_movies(o);
  const auto items = movies.size();
  const auto users = static_cast<std::size_t>(o.users);

  // Which movies each user rates: weighted sampling without replacement (exponential keys: the n
  // smallest -log(u)/w), liked genres weighing 4x.
  Rng rng = Rng::stream(o.seed, {kRaters});
  std::vector<std::vector<char>> likes(users,
                                       std::vector<char>(static_cast<std::size_t>(o.genres), 0));
  std::vector<double> bias(users);
  std::vector<std::vector<std::int32_t>> chosen(users);
  const std::vector<double> genre_weights = zipf_weights(static_cast<std::size_t>(o.genres), 2.0);
  std::vector<std::pair<double, std::int32_t>> keys(items);
  auto liked = [&](std::size_t u, std::size_t i) {
    return std::any_of(movies[i].genres.begin(), movies[i].genres.end(),
                       [&](std::int32_t g) { return likes[u][g] != 0; });
  };
  for (std::size_t u = 0; u < users; ++u) {
    auto weights = genre_weights;
    for (auto k = std::min<std::int64_t>(o.genres, rng.uniform_int(1, 3)); k > 0; --k) {
      const auto g = rng.categorical(weights);
      weights[g] = 0.0;
      likes[u][g] = 1;
    }
    bias[u] = 0.35 * rng.normal();
    const double s = rng.uniform01();
    const auto span = max_per_user(o) - o.min_ratings_per_user + 1;
    const auto n =
        std::min(max_per_user(o), o.min_ratings_per_user + static_cast<std::int64_t>(span * s * s));
    for (std::size_t i = 0; i < items; ++i) {
      double r = rng.uniform01();
      while (r <= 0.0) r = rng.uniform01();
      const double w = movies[i].popularity * (liked(u, i) ? 4.0 : 1.0);
      keys[i] = {-std::log(r) / w, static_cast<std::int32_t>(i)};
    }
    std::nth_element(keys.begin(), keys.begin() + (n - 1), keys.end());
    for (std::int64_t k = 0; k < n; ++k) chosen[u].push_back(keys[k].second);
    std::sort(chosen[u].begin(), chosen[u].end());  // a canonical order before the shuffle below
  }

  // Every movie rated at least once, as in MovieLens: give unrated ones to users with room.
  Rng cover = Rng::stream(o.seed, {kRatingCoverage});
  std::vector<char> rated(items, 0);
  for (const auto& c : chosen) {
    for (std::int32_t i : c) rated[i] = 1;
  }
  for (std::size_t i = 0; i < items; ++i) {
    if (rated[i]) continue;
    std::size_t user = users;
    for (int tries = 0; tries < 64 && user == users; ++tries) {
      const auto u = cover.uniform_below(users);
      if (static_cast<std::int64_t>(chosen[u].size()) < max_per_user(o)) user = u;
    }
    for (std::size_t u = 0; u < users && user == users; ++u) {
      if (static_cast<std::int64_t>(chosen[u].size()) < max_per_user(o)) user = u;
    }
    RSDIST_CHECK(user < users, "internal error: no user has room to rate item {}", i + 1);
    chosen[user].push_back(static_cast<std::int32_t>(i));
  }

  // Ratings and timestamps: each user rates in sessions (seconds to minutes apart, sometimes days).
  std::vector<Rating> ratings;
  for (std::size_t u = 0; u < users; ++u) {
    rng.shuffle(chosen[u]);
    auto t = rng.uniform_int(kFirstTimestamp, kLastStart);
    for (std::int32_t i : chosen[u]) {
      const double x =
          3.3 + movies[i].quality + bias[u] + (liked(u, i) ? 0.8 : -0.4) + 0.85 * rng.normal();
      const auto value = static_cast<std::int32_t>(std::clamp(std::floor(x + 0.5), 1.0, 5.0));
      ratings.push_back({static_cast<std::int32_t>(u), i, value, t});
      t += rng.bernoulli(0.1) ? rng.uniform_int(3600, 14 * 86400) : rng.uniform_int(1, 600);
    }
  }

  // ratings.dat (ML-1M): grouped by user, each user's ratings in time order.
  TextFile ml1m(dir / "ratings.dat");
  for (const Rating& r : ratings) {
    fmt::format_to(std::back_inserter(ml1m.buffer()), "{}::{}::{}::{}\n", r.user + 1, r.item + 1,
                   r.value, r.timestamp);
    ml1m.maybe_flush();
  }
  ml1m.close();

  // u.data (ML-100K): one log in time order, users interleaved.
  std::sort(ratings.begin(), ratings.end(), [](const Rating& a, const Rating& b) {
    return std::tie(a.timestamp, a.user, a.item) < std::tie(b.timestamp, b.user, b.item);
  });
  TextFile data(dir / "u.data");
  for (const Rating& r : ratings) {
    fmt::format_to(std::back_inserter(data.buffer()), "{}\t{}\t{}\t{}\n", r.user + 1, r.item + 1,
                   r.value, r.timestamp);
    data.maybe_flush();
  }
  data.close();

  // u.item: id|title|release date|video release date|IMDb URL|19 genre flags (unknown first).
  const auto& columns = movie_genres();
  TextFile item_file(dir / "u.item");
  for (std::size_t i = 0; i < items; ++i) {
    const Movie& m = movies[i];
    std::string& out = item_file.buffer();
    fmt::format_to(std::back_inserter(out), "{}|{}|{}||{}|0", i + 1, m.title, m.date,
                   imdb_url(m.title));
    for (const auto& column : columns) {
      const bool has = std::any_of(m.genres.begin(), m.genres.end(),
                                   [&](std::int32_t g) { return kGenresByFrequency[g] == column; });
      out += has ? "|1" : "|0";
    }
    out += '\n';
    item_file.maybe_flush();
  }
  item_file.close();

  return {o.users, o.items, static_cast<std::int64_t>(ratings.size())};
}

}  // namespace rsdist::synth
