// A small RAII layer over HDF5's C API: one HDF5 file, its groups, typed datasets and string
// attributes. Everything HDF5 reports as a failure becomes an rsdist::Error naming the file and the
// dataset (with HDF5's own innermost error descriptions), and HDF5's automatic printing of error
// stacks is switched off.
//
// Datasets are 1-D or 2-D (any rank >= 1 works) arrays of int32, int64, float32 or uint8, stored
// little-endian. Large ones are chunked along the first dimension and compressed (shuffle +
// deflate), small ones stored contiguously (see WriteOptions). Object modification times are not
// recorded, so the same writes give the same bytes.
//
// Rows are the first dimension: read_rows() reads rows [begin, end) through a hyperslab, which is
// how sharded readers take only their part of a dataset.
//
// Not thread-safe: Debian's serial HDF5 is not, so one thread at a time uses HDF5 in a process.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "data/hdf5/handle.hpp"

namespace rsdist::h5 {

enum class DType { kInt32, kInt64, kFloat32, kUInt8 };

// "int32", "int64", "float32", "uint8" (numpy's names).
std::string_view dtype_name(DType dtype);

template <class T>
constexpr DType dtype_of() {
  if constexpr (std::is_same_v<T, std::int32_t>) {
    return DType::kInt32;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return DType::kInt64;
  } else if constexpr (std::is_same_v<T, float>) {
    return DType::kFloat32;
  } else {
    static_assert(std::is_same_v<T, std::uint8_t>, "HDF5 datasets hold int32, int64, float, uint8");
    return DType::kUInt8;
  }
}

struct WriteOptions {
  // Datasets with at least this many elements are chunked and compressed; below it the filter
  // and chunk-index overhead outweighs the savings (and contiguous reads are simplest).
  std::uint64_t compress_min_elements = 16384;
  // Elements per chunk (whole rows; at least one row): ~64k elements = 256 KiB of int32, large
  // enough to compress well, small enough that a row-range read decompresses little extra.
  std::uint64_t chunk_elements = 65536;
  int deflate_level = 4;  // gzip level: most of the gain of 9 at a fraction of the time
  bool shuffle = true;    // byte shuffle before deflate: integer ids compress far better
};

struct DatasetInfo {
  std::vector<std::uint64_t> shape;
  DType dtype = DType::kInt32;
  std::vector<std::uint64_t> chunk;  // empty when stored contiguously
  bool compressed = false;           // deflate filter present
};

class File;

// A dataset written as consecutive blocks of rows, for writers that stream their data. With a known
// final row count the dataset is laid out exactly as File::write() would lay out the whole array
// (same chunking and filters); with rows = kGrowing it is chunked, compressed and extended as rows
// arrive. Rows of a chunked dataset are buffered up to whole chunks, so every chunk is compressed
// and written once, in order: the file gets the bytes of one whole write (a partial chunk would be
// read back, decompressed and rewritten, and land elsewhere in the file). Memory: one chunk.
class RowWriter {
 public:
  static constexpr std::uint64_t kGrowing = ~std::uint64_t{0};

  // Appends whole rows (values.size() must be a multiple of the row size).
  template <class T>
  void append(std::span<const T> values) {
    append_raw(dtype_of<T>(), values.data(), values.size());
  }
  template <class T>
  void append(const std::vector<T>& values) {
    append(std::span<const T>(values));
  }
  std::uint64_t rows_written() const { return written_ + buffered_rows(); }
  // Writes the buffered rows and checks that a fixed-size dataset received all its rows. Rows not
  // finished are lost (writers abandon their staging directory on failure anyway).
  void finish();

 private:
  friend class File;
  RowWriter(std::string description, Handle dataset, DType dtype, std::uint64_t rows,
            std::vector<std::uint64_t> row_shape, std::uint64_t chunk_rows);
  void append_raw(DType dtype, const void* data, std::size_t count);
  void write_rows(const void* data, std::uint64_t rows);
  std::uint64_t buffered_rows() const { return buffer_.size() / row_bytes_; }

  std::string description_;  // "dataset 'x' in file.h5"
  Handle dataset_;
  DType dtype_;
  std::uint64_t rows_;
  std::vector<std::uint64_t> row_shape_;  // dimensions after the first
  std::uint64_t row_bytes_;
  std::uint64_t chunk_rows_;  // 0: contiguous, written through
  std::vector<unsigned char> buffer_;
  std::uint64_t written_ = 0;  // rows in the file
};

class File {
 public:
  // Creates `path`, replacing an existing file.
  static File create(const std::filesystem::path& path);
  // Opens an existing file read-only.
  static File open(const std::filesystem::path& path);

  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  ~File() = default;  // closes without checking; call close() where a failure must be reported

  const std::string& path() const { return path_; }
  // Flushes and closes, throwing if HDF5 fails to (e.g. the disk is full).
  void close();

  // Creates group `name` ("a/b": both), no error if it exists.
  void create_group(const std::string& name);
  // True if a group or dataset exists at `name` ("a/b/c").
  bool exists(const std::string& name) const;

  // Writes `values` as dataset `name` (parent groups created) of `shape` (empty: 1-D of
  // values.size(); otherwise the product must equal values.size()).
  template <class T>
  void write(const std::string& name, std::span<const T> values,
             const std::vector<std::uint64_t>& shape = {}, const WriteOptions& options = {}) {
    write_raw(name, dtype_of<T>(), values.data(), values.size(), shape, options);
  }
  template <class T>
  void write(const std::string& name, const std::vector<T>& values,
             const std::vector<std::uint64_t>& shape = {}, const WriteOptions& options = {}) {
    write(name, std::span<const T>(values), shape, options);
  }

  // A dataset of `rows` rows (RowWriter::kGrowing: unknown) of shape `row_shape` (empty: 1-D),
  // filled by RowWriter::append in order.
  RowWriter create_rows(const std::string& name, DType dtype, std::uint64_t rows,
                        const std::vector<std::uint64_t>& row_shape = {},
                        const WriteOptions& options = {});

  DatasetInfo info(const std::string& name) const;

  // The whole dataset, row-major; throws if it is not stored as T (no silent conversion).
  template <class T>
  std::vector<T> read(const std::string& name) const {
    std::vector<T> values;
    read_raw(name, dtype_of<T>(), /*whole=*/true, 0, 0, [&](std::size_t n) {
      values.resize(n);
      return static_cast<void*>(values.data());
    });
    return values;
  }
  // Rows [begin, end) of the first dimension, row-major.
  template <class T>
  std::vector<T> read_rows(const std::string& name, std::uint64_t begin, std::uint64_t end) const {
    std::vector<T> values;
    read_raw(name, dtype_of<T>(), /*whole=*/false, begin, end, [&](std::size_t n) {
      values.resize(n);
      return static_cast<void*>(values.data());
    });
    return values;
  }

  // A UTF-8 string attribute on the object at `object` ("/" for the file itself); replaces an
  // existing one. Stored as a variable-length string, which h5py returns as `str`.
  void write_attribute(const std::string& object, const std::string& name,
                       const std::string& value);
  std::string read_attribute(const std::string& object, const std::string& name) const;

 private:
  File(std::string path, Handle file) : path_(std::move(path)), file_(std::move(file)) {}

  // Allocates through `allocate(element_count)` once the size is known.
  template <class Allocate>
  void read_raw(const std::string& name, DType dtype, bool whole, std::uint64_t begin,
                std::uint64_t end, Allocate&& allocate) const {
    read_into(name, dtype, whole, begin, end, &allocate,
              [](void* state, std::size_t n) { return (*static_cast<Allocate*>(state))(n); });
  }
  void read_into(const std::string& name, DType dtype, bool whole, std::uint64_t begin,
                 std::uint64_t end, void* state, void* (*allocate)(void*, std::size_t)) const;
  void write_raw(const std::string& name, DType dtype, const void* data, std::size_t count,
                 const std::vector<std::uint64_t>& shape, const WriteOptions& options);
  // Creates dataset `name` of `dims` (max_dims[0] unlimited when `growing`) with write()'s layout.
  Handle create_dataset(const std::string& name, DType dtype, const std::vector<std::uint64_t>& dims,
                        bool growing, const WriteOptions& options);
  Handle open_dataset(const std::string& name) const;

  std::string path_;
  Handle file_;
};

}  // namespace rsdist::h5
