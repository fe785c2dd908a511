#include "data/hdf5/file.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::h5 {
namespace {
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

template <class T>
std::vector<T> ramp(std::size_t n, double scale) {
  std::vector<T> values(n);
  for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<T>(static_cast<double>(i) * scale);
  return values;
}

// The message of the rsdist::Error `f` throws ("" if it throws nothing).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Hdf5File, RoundTripsEveryDtypeIn1dAnd2d) {
  TempDir tmp;
  const auto path = tmp / "a.h5";
  const auto i32 = ramp<std::int32_t>(12, -3);
  const auto i64 = ramp<std::int64_t>(12, 1e10);
  const auto f32 = ramp<float>(12, 0.25);
  const auto u8 = ramp<std::uint8_t>(12, 20);
  {
    File file = File::create(path);
    file.write("i32", i32);
    file.write("g/i64", i64, {3, 4});
    file.write("g/h/f32", f32, {6, 2});
    file.write("u8", u8, {12, 1});
    file.close();
  }
  const File file = File::open(path);
  EXPECT_EQ(file.read<std::int32_t>("i32"), i32);
  EXPECT_EQ(file.read<std::int64_t>("g/i64"), i64);
  EXPECT_EQ(file.read<float>("g/h/f32"), f32);
  EXPECT_EQ(file.read<std::uint8_t>("u8"), u8);
  EXPECT_EQ(file.info("i32").shape, (std::vector<std::uint64_t>{12}));
  EXPECT_EQ(file.info("g/i64").shape, (std::vector<std::uint64_t>{3, 4}));
  EXPECT_EQ(file.info("g/i64").dtype, DType::kInt64);
  EXPECT_EQ(file.info("g/h/f32").dtype, DType::kFloat32);
  EXPECT_EQ(file.info("u8").dtype, DType::kUInt8);
  EXPECT_TRUE(file.exists("g/h"));
  EXPECT_TRUE(file.exists("g/h/f32"));
  EXPECT_FALSE(file.exists("g/x/f32"));
  EXPECT_FALSE(file.exists("nothing"));
}

TEST(Hdf5File, EmptyDatasetsRoundTrip) {
  TempDir tmp;
  {
    File file = File::create(tmp / "e.h5");
    file.write("empty", std::vector<std::int32_t>{});
    file.write("empty2d", std::vector<float>{}, {0, 5});
    file.close();
  }
  const File file = File::open(tmp / "e.h5");
  EXPECT_TRUE(file.read<std::int32_t>("empty").empty());
  EXPECT_EQ(file.info("empty2d").shape, (std::vector<std::uint64_t>{0, 5}));
  EXPECT_TRUE(file.read_rows<float>("empty2d", 0, 0).empty());
}

TEST(Hdf5File, ReadsRowRangesOf1dAnd2dDatasets) {
  TempDir tmp;
  const auto flat = ramp<std::int64_t>(100000, 1);
  const auto matrix = ramp<float>(1000 * 3, 0.5);
  {
    File file = File::create(tmp / "r.h5");
    file.write("flat", flat);
    file.write("matrix", matrix, {1000, 3});
    file.close();
  }
  const File file = File::open(tmp / "r.h5");
  const auto part = file.read_rows<std::int64_t>("flat", 65530, 65540);  // across a chunk border
  EXPECT_EQ(part, std::vector<std::int64_t>(flat.begin() + 65530, flat.begin() + 65540));
  const auto rows = file.read_rows<float>("matrix", 10, 13);
  EXPECT_EQ(rows, std::vector<float>(matrix.begin() + 30, matrix.begin() + 39));
  EXPECT_TRUE(file.read_rows<float>("matrix", 1000, 1000).empty());
  const std::string message = error_of([&] { file.read_rows<float>("matrix", 999, 1001); });
  EXPECT_NE(message.find("rows [999, 1001) are out of range for dataset 'matrix'"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("r.h5 with 1000 rows"), std::string::npos) << message;
}

TEST(Hdf5File, ChunksAndCompressesLargeDatasetsOnly) {
  TempDir tmp;
  const auto large = ramp<std::int32_t>(200000, 1);
  const auto wide = ramp<float>(50000 * 4, 1);
  {
    File file = File::create(tmp / "c.h5");
    file.write("large", large);
    file.write("wide", wide, {50000, 4});
    file.write("small", ramp<std::int32_t>(100, 1));
    WriteOptions plain;
    plain.compress_min_elements = ~std::uint64_t{0};
    file.write("plain", large, {}, plain);
    file.close();
  }
  const File file = File::open(tmp / "c.h5");
  const DatasetInfo large_info = file.info("large");
  EXPECT_TRUE(large_info.compressed);
  EXPECT_EQ(large_info.chunk, (std::vector<std::uint64_t>{65536}));
  EXPECT_EQ(file.info("wide").chunk, (std::vector<std::uint64_t>{16384, 4}));  // whole rows
  EXPECT_FALSE(file.info("small").compressed);
  EXPECT_TRUE(file.info("small").chunk.empty());
  EXPECT_TRUE(file.info("plain").chunk.empty());
  EXPECT_EQ(file.read<std::int32_t>("large"), large);
  EXPECT_EQ(file.read<float>("wide"), wide);
  EXPECT_EQ(file.read<std::int32_t>("plain"), large);
  // A ramp compresses to a fraction of its 800 kB with shuffle + deflate.
  EXPECT_LT(std::filesystem::file_size(tmp / "c.h5"), 800000u + 800000u + 800000u / 2);
}

TEST(Hdf5File, StringAttributesOnTheFileAndOnObjects) {
  TempDir tmp;
  {
    File file = File::create(tmp / "s.h5");
    file.write("g/d", std::vector<std::int32_t>{1, 2});
    file.write_attribute("/", "kind", "seq");
    file.write_attribute("g", "normalization", "renorm");
    file.write_attribute("g/d", "note", "ünïcode");
    file.write_attribute("g", "normalization", "none");  // replaced
    file.close();
  }
  const File file = File::open(tmp / "s.h5");
  EXPECT_EQ(file.read_attribute("/", "kind"), "seq");
  EXPECT_EQ(file.read_attribute("g", "normalization"), "none");
  EXPECT_EQ(file.read_attribute("g/d", "note"), "ünïcode");
  const std::string message = error_of([&] { file.read_attribute("g", "missing"); });
  EXPECT_NE(message.find("cannot open attribute 'missing' of 'g' in"), std::string::npos)
      << message;
}

TEST(Hdf5File, ErrorsNameTheFileAndTheDataset) {
  TempDir tmp;
  const std::string path = (tmp / "x.h5").string();
  {
    File file = File::create(path);
    file.write("d", std::vector<std::int64_t>{1, 2, 3});
    const std::string twice = error_of([&] { file.write("d", std::vector<std::int64_t>{4}); });
    EXPECT_NE(twice.find("cannot create dataset 'd' in " + path), std::string::npos) << twice;
    const std::string shape = error_of([&] {
      file.write("e", std::vector<std::int32_t>{1, 2, 3}, {2, 2});
    });
    EXPECT_NE(shape.find("dataset 'e' in " + path + ": shape [2, 2] holds 4 elements but 3"),
              std::string::npos)
        << shape;
    file.close();
  }
  const File file = File::open(path);
  const std::string missing = error_of([&] { file.read<std::int32_t>("witg/columns"); });
  EXPECT_NE(missing.find("HDF5: cannot open dataset 'witg/columns' in " + path), std::string::npos)
      << missing;
  // HDF5's own reason travels with the message, from its error stack.
  EXPECT_NE(missing.find("component not found"), std::string::npos) << missing;
  const std::string dtype = error_of([&] { file.read<std::int32_t>("d"); });
  EXPECT_NE(dtype.find("dataset 'd' in " + path + " holds int64, but int32 was asked for"),
            std::string::npos)
      << dtype;
}

TEST(Hdf5File, MissingAndNonHdf5FilesAreErrors) {
  TempDir tmp;
  const std::string missing = (tmp / "nope.h5").string();
  std::string message = error_of([&] { File::open(missing); });
  EXPECT_NE(message.find("HDF5 file " + missing + " does not exist"), std::string::npos) << message;
  const std::string text = tmp.write("text.h5", "not hdf5\n");
  message = error_of([&] { File::open(text); });
  EXPECT_NE(message.find("cannot open file " + text), std::string::npos) << message;
  message = error_of([&] { File::create(tmp / "no_dir" / "x.h5"); });
  EXPECT_NE(message.find("cannot create file"), std::string::npos) << message;
  EXPECT_NE(message.find("no_dir/x.h5"), std::string::npos) << message;
}

TEST(Hdf5File, SameWritesGiveIdenticalBytes) {
  TempDir tmp;
  for (const char* name : {"a.h5", "b.h5"}) {
    File file = File::create(tmp / name);
    file.write("g/large", ramp<std::int32_t>(100000, 3));
    file.write("g/small", ramp<float>(10, 0.1));
    file.write_attribute("g", "k", "v");
    file.close();
  }
  EXPECT_EQ(read_file(tmp / "a.h5"), read_file(tmp / "b.h5"));
}

TEST(Hdf5RowWriter, RowsAppendedInBlocksGiveTheDatasetsOfOneWholeWrite) {
  TempDir tmp;
  const auto large = ramp<std::int32_t>(3 * 30000, 7);  // chunked and compressed
  const auto small = ramp<float>(12, 0.5);              // contiguous
  {
    File whole = File::create(tmp / "whole.h5");
    whole.write("g/large", large, {30000, 3});
    whole.write("small", small, {4, 3});
    whole.close();
  }
  {
    File streamed = File::create(tmp / "streamed.h5");
    RowWriter l = streamed.create_rows("g/large", DType::kInt32, 30000, {3});
    RowWriter s = streamed.create_rows("small", DType::kFloat32, 4, {3});
    // Uneven blocks, one of them empty.
    for (const auto& [begin, end] : {std::pair{0, 7}, {7, 7}, {7, 12345}, {12345, 30000}}) {
      l.append(std::span<const std::int32_t>(large).subspan(begin * 3, (end - begin) * 3));
    }
    s.append(std::span<const float>(small).first(3));
    s.append(std::span<const float>(small).subspan(3));
    l.finish();
    s.finish();
    EXPECT_EQ(l.rows_written(), 30000u);
    streamed.close();
  }
  // Same values and layout (the bytes differ: storage is allocated in another order).
  const File whole = File::open(tmp / "whole.h5");
  const File streamed = File::open(tmp / "streamed.h5");
  EXPECT_EQ(streamed.read<std::int32_t>("g/large"), large);
  EXPECT_EQ(streamed.read<float>("small"), small);
  for (const char* name : {"g/large", "small"}) {
    EXPECT_EQ(streamed.info(name).shape, whole.info(name).shape) << name;
    EXPECT_EQ(streamed.info(name).chunk, whole.info(name).chunk) << name;
    EXPECT_EQ(streamed.info(name).compressed, whole.info(name).compressed) << name;
  }
  EXPECT_TRUE(streamed.info("g/large").compressed);
}

TEST(Hdf5RowWriter, AGrowingDatasetExtendsOnEveryAppend) {
  TempDir tmp;
  {
    File file = File::create(tmp / "g.h5");
    RowWriter w = file.create_rows("neg", DType::kInt64, RowWriter::kGrowing);
    w.append(std::vector<std::int64_t>{1, 2, 3});
    w.append(std::vector<std::int64_t>{});
    w.append(std::vector<std::int64_t>{4});
    w.finish();  // nothing to check for a growing dataset
    RowWriter empty = file.create_rows("none", DType::kInt32, RowWriter::kGrowing, {2});
    file.close();
  }
  const File file = File::open(tmp / "g.h5");
  EXPECT_EQ(file.read<std::int64_t>("neg"), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_TRUE(file.info("neg").compressed);
  EXPECT_EQ(file.info("none").shape, (std::vector<std::uint64_t>{0, 2}));
}

TEST(Hdf5RowWriter, WrongDtypePartialRowsOverflowAndMissingRowsAreErrors) {
  TempDir tmp;
  File file = File::create(tmp / "e.h5");
  RowWriter w = file.create_rows("x", DType::kInt32, 2, {3});
  EXPECT_NE(error_of([&] { w.append(std::vector<float>{1, 2, 3}); }).find("holds int32, not float32"),
            std::string::npos);
  EXPECT_NE(error_of([&] { w.append(std::vector<std::int32_t>{1, 2}); }).find("not whole rows of 3"),
            std::string::npos);
  w.append(std::vector<std::int32_t>{1, 2, 3});
  EXPECT_NE(error_of([&] { w.finish(); }).find("1 of 2 rows written"), std::string::npos);
  EXPECT_NE(error_of([&] { w.append(std::vector<std::int32_t>(6, 0)); }).find("2 rows appended to 1 of 2"),
            std::string::npos);
  const std::string message = error_of([&] { w.finish(); });
  EXPECT_NE(message.find("dataset 'x' in"), std::string::npos) << message;
}

}  // namespace
}  // namespace rsdist::h5
