// NewsTable: every tensor equals news.h5 read directly through rsdist::h5, truncation to shorter
// lengths (and the error for longer ones), gather, and the train-news list.
#include "loader/mind/news_table.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/hdf5/file.hpp"
#include "loader/mind/tiny_corpus.hpp"

namespace rsdist::loader {
namespace {

using testing::TinyCorpus;

// The [rows, cols] values of `t` (any dtype) as int64 / double, row-major.
std::vector<std::int64_t> as_int64(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kLong).contiguous();
  return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}
std::vector<double> as_double(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}
template <class T>
std::vector<std::int64_t> widen(const std::vector<T>& v) {
  return {v.begin(), v.end()};
}
// The first `cols` columns of a row-major [rows, width] array.
template <class T>
std::vector<T> first_columns(const std::vector<T>& v, std::size_t width, std::size_t cols) {
  std::vector<T> out;
  for (std::size_t r = 0; r < v.size() / width; ++r) {
    out.insert(out.end(), v.begin() + r * width, v.begin() + r * width + cols);
  }
  return out;
}

TEST(NewsTable, EveryTensorEqualsTheHdf5File) {
  const TinyCorpus corpus;
  const NewsTable table = NewsTable::load(corpus.dir());
  const h5::File file = h5::File::open(corpus.dir() / "news.h5");
  const auto counts = data::read_corpus_manifest(corpus.dir()).counts;

  const auto title = file.read<std::int32_t>("news/title_ids");
  const std::int64_t rows = counts["news"].get<std::int64_t>();
  EXPECT_EQ(table.num_news(), rows);
  EXPECT_EQ(table.num_categories(), counts["categories"].get<std::int64_t>());
  EXPECT_EQ(table.num_subcategories(), counts["subcategories"].get<std::int64_t>());
  EXPECT_GT(table.num_categories(), 1);
  EXPECT_EQ(table.title_length(), 16);
  EXPECT_EQ(table.abstract_length(), 24);

  const models::NewsInputs& news = table.news();
  EXPECT_EQ(news.title.sizes(), (at::IntArrayRef{rows, 16}));
  EXPECT_EQ(news.title.scalar_type(), at::kLong);
  EXPECT_EQ(news.title_mask.scalar_type(), at::kFloat);
  EXPECT_EQ(as_int64(news.title), widen(title));
  EXPECT_EQ(as_int64(news.title_mask), widen(file.read<std::uint8_t>("news/title_mask")));
  EXPECT_EQ(as_int64(news.abstract), widen(file.read<std::int32_t>("news/abstract_ids")));
  EXPECT_EQ(as_int64(news.abstract_mask), widen(file.read<std::uint8_t>("news/abstract_mask")));
  EXPECT_EQ(as_int64(news.category), widen(file.read<std::int32_t>("news/category")));
  EXPECT_EQ(as_int64(news.subcategory), widen(file.read<std::int32_t>("news/subcategory")));
  // Some real text, so that the comparisons above compare something.
  EXPECT_GT(news.title_mask.sum().item<double>(), double(rows));

  const auto embedding = file.read<float>("words/embedding");
  EXPECT_EQ(table.word_embedding().scalar_type(), at::kFloat);
  EXPECT_EQ(table.word_embedding().size(1), 8);
  EXPECT_EQ(as_double(table.word_embedding()),
            std::vector<double>(embedding.begin(), embedding.end()));

  const auto split = file.read<std::uint8_t>("news/split");
  std::vector<std::int32_t> train;
  for (std::int32_t r = 1; r < static_cast<std::int32_t>(split.size()); ++r) {
    if (split[r] == 0) train.push_back(r);
  }
  EXPECT_EQ(table.train_news(), train);
  EXPECT_FALSE(train.empty());
  EXPECT_LT(train.size(), split.size() - 1);  // dev/test define news of their own
}

TEST(NewsTable, TruncatesTitlesAndAbstractsToShorterLengths) {
  const TinyCorpus corpus;
  const NewsTable table =
      NewsTable::load(corpus.dir(), {.max_title_length = 5, .max_abstract_length = 7});
  const h5::File file = h5::File::open(corpus.dir() / "news.h5");
  EXPECT_EQ(table.title_length(), 5);
  EXPECT_EQ(table.abstract_length(), 7);
  EXPECT_EQ(table.news().title.size(1), 5);
  EXPECT_EQ(as_int64(table.news().title),
            widen(first_columns(file.read<std::int32_t>("news/title_ids"), 16, 5)));
  EXPECT_EQ(as_int64(table.news().title_mask),
            widen(first_columns(file.read<std::uint8_t>("news/title_mask"), 16, 5)));
  EXPECT_EQ(as_int64(table.news().abstract),
            widen(first_columns(file.read<std::int32_t>("news/abstract_ids"), 24, 7)));
  EXPECT_EQ(as_int64(table.news().abstract_mask),
            widen(first_columns(file.read<std::uint8_t>("news/abstract_mask"), 24, 7)));
}

TEST(NewsTable, ALongerLengthThanTheCorpusIsAnErrorNamingTheOption) {
  const TinyCorpus corpus;
  try {
    NewsTable::load(corpus.dir(), {.max_title_length = 17});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("max_title_length = 17"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("(16 in"), std::string::npos) << e.message();
  }
  EXPECT_THROW(NewsTable::load(corpus.dir(), {.max_abstract_length = 25}), Error);
  EXPECT_THROW(NewsTable::load(corpus.dir(), {.max_abstract_length = -1}), Error);
}

TEST(NewsTable, GatherTakesRowsOfEveryTensor) {
  const TinyCorpus corpus;
  const NewsTable table = NewsTable::load(corpus.dir()).to(at::kCPU);
  const at::Tensor ids = at::tensor(std::vector<std::int64_t>{7, 0, 7, 42, 1});
  const models::NewsInputs rows = table.gather(ids);
  const models::NewsInputs& all = table.news();
  ASSERT_EQ(rows.title.size(0), 5);
  for (std::int64_t i = 0; i < 5; ++i) {
    const std::int64_t id = ids[i].item<std::int64_t>();
    EXPECT_TRUE(rows.title[i].equal(all.title[id]));
    EXPECT_TRUE(rows.title_mask[i].equal(all.title_mask[id]));
    EXPECT_TRUE(rows.abstract[i].equal(all.abstract[id]));
    EXPECT_TRUE(rows.abstract_mask[i].equal(all.abstract_mask[id]));
    EXPECT_EQ(rows.category[i].item<std::int64_t>(), all.category[id].item<std::int64_t>());
    EXPECT_EQ(rows.subcategory[i].item<std::int64_t>(), all.subcategory[id].item<std::int64_t>());
  }
  EXPECT_FALSE(rows.title[0].equal(rows.title[3]));  // different news, different rows
  EXPECT_THROW(table.gather(ids.to(at::kInt)), Error);
}

TEST(NewsTable, AMissingCorpusNamesThePath) {
  rsdist::testing::TempDir tmp;
  try {
    NewsTable::load(tmp.path());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("manifest.json"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace rsdist::loader
