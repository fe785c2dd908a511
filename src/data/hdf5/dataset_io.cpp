// Typed dataset writing and reading of h5::File (whole datasets and row ranges).
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "data/hdf5/file.hpp"
#include "data/hdf5/h5_error.hpp"

namespace rsdist::h5 {
namespace {

hid_t memory_type(DType dtype) {
  switch (dtype) {
    case DType::kInt32:
      return H5T_NATIVE_INT32;
    case DType::kInt64:
      return H5T_NATIVE_INT64;
    case DType::kFloat32:
      return H5T_NATIVE_FLOAT;
    case DType::kUInt8:
      return H5T_NATIVE_UINT8;
  }
  return H5T_NATIVE_INT32;
}

// Little-endian on disk whatever the writing machine, as numpy's '<i4', '<i8', '<f4', '|u1'.
hid_t file_type(DType dtype) {
  switch (dtype) {
    case DType::kInt32:
      return H5T_STD_I32LE;
    case DType::kInt64:
      return H5T_STD_I64LE;
    case DType::kFloat32:
      return H5T_IEEE_F32LE;
    case DType::kUInt8:
      return H5T_STD_U8LE;
  }
  return H5T_STD_I32LE;
}

bool stored_dtype(hid_t type, DType* dtype) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (type_class == H5T_FLOAT && size == 4) {
    *dtype = DType::kFloat32;
    return true;
  }
  if (type_class != H5T_INTEGER) return false;
  const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
  if (is_signed && size == 4)
    *dtype = DType::kInt32;
  else if (is_signed && size == 8)
    *dtype = DType::kInt64;
  else if (!is_signed && size == 1)
    *dtype = DType::kUInt8;
  else
    return false;
  return true;
}

std::uint64_t product(const std::vector<std::uint64_t>& dims, std::size_t from = 0) {
  return std::accumulate(dims.begin() + static_cast<std::ptrdiff_t>(from), dims.end(),
                         std::uint64_t{1}, std::multiplies<>());
}

}  // namespace

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kInt32:
      return "int32";
    case DType::kInt64:
      return "int64";
    case DType::kFloat32:
      return "float32";
    case DType::kUInt8:
      return "uint8";
  }
  return "?";
}

Handle File::open_dataset(const std::string& name) const {
  Handle dataset(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), &H5Dclose);
  RSDIST_H5_CHECK(dataset.get(), "cannot open dataset '{}' in {}", name, path_);
  return dataset;
}

std::size_t dtype_bytes(DType dtype) {
  switch (dtype) {
    case DType::kInt32:
    case DType::kFloat32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kUInt8:
      return 1;
  }
  return 4;
}

// Rows per chunk of a dataset of `dims`, 0 when it is stored contiguously.
std::uint64_t chunk_rows_of(const std::vector<std::uint64_t>& dims, bool growing,
                            const WriteOptions& options) {
  const std::uint64_t count = product(dims);
  if (!growing && (count < options.compress_min_elements || count == 0)) return 0;
  const std::uint64_t row_elements = std::max<std::uint64_t>(1, product(dims, 1));
  const std::uint64_t rows_per_chunk =
      std::max<std::uint64_t>(1, options.chunk_elements / row_elements);
  return growing ? rows_per_chunk : std::clamp<std::uint64_t>(rows_per_chunk, 1, dims[0]);
}

Handle File::create_dataset(const std::string& name, DType dtype,
                            const std::vector<std::uint64_t>& dims, bool growing,
                            const WriteOptions& options) {
  const std::size_t slash = name.rfind('/');
  if (slash != std::string::npos && slash > 0) create_group(name.substr(0, slash));

  const std::vector<hsize_t> hdims(dims.begin(), dims.end());
  std::vector<hsize_t> max_dims = hdims;
  if (growing) max_dims[0] = H5S_UNLIMITED;
  Handle space(H5Screate_simple(static_cast<int>(hdims.size()), hdims.data(), max_dims.data()),
               &H5Sclose);
  RSDIST_H5_CHECK(space.get(), "cannot make the dataspace of dataset '{}' in {}", name, path_);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), &H5Pclose);
  RSDIST_H5_CHECK(dcpl.get(), "cannot make properties for dataset '{}' in {}", name, path_);
  // No modification time in the object header: the same data gives the same file bytes.
  RSDIST_H5_CHECK(H5Pset_obj_track_times(dcpl.get(), 0), "cannot set properties of '{}' in {}",
                  name, path_);
  if (const std::uint64_t chunk_rows = chunk_rows_of(dims, growing, options); chunk_rows > 0) {
    std::vector<hsize_t> chunk = hdims;
    chunk[0] = chunk_rows;
    RSDIST_H5_CHECK(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()),
                    "cannot chunk dataset '{}' in {}", name, path_);
    if (options.shuffle) {
      RSDIST_H5_CHECK(H5Pset_shuffle(dcpl.get()), "cannot set the shuffle filter on '{}' in {}",
                      name, path_);
    }
    if (options.deflate_level > 0) {
      RSDIST_H5_CHECK(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(options.deflate_level)),
                      "cannot set deflate compression on '{}' in {} (HDF5 built without zlib?)",
                      name, path_);
    }
  }
  Handle dataset(H5Dcreate2(file_.get(), name.c_str(), file_type(dtype), space.get(), H5P_DEFAULT,
                            dcpl.get(), H5P_DEFAULT),
                 &H5Dclose);
  RSDIST_H5_CHECK(dataset.get(), "cannot create dataset '{}' in {}", name, path_);
  return dataset;
}

void File::write_raw(const std::string& name, DType dtype, const void* data, std::size_t count,
                     const std::vector<std::uint64_t>& shape, const WriteOptions& options) {
  const std::vector<std::uint64_t> dims = shape.empty() ? std::vector<std::uint64_t>{count} : shape;
  RSDIST_CHECK(product(dims) == count,
               "dataset '{}' in {}: shape [{}] holds {} elements but {} were given", name, path_,
               fmt::join(dims, ", "), product(dims), count);
  const Handle dataset = create_dataset(name, dtype, dims, /*growing=*/false, options);
  if (count == 0) return;
  RSDIST_H5_CHECK(H5Dwrite(dataset.get(), memory_type(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, data),
                  "cannot write dataset '{}' in {}", name, path_);
}

RowWriter File::create_rows(const std::string& name, DType dtype, std::uint64_t rows,
                            const std::vector<std::uint64_t>& row_shape,
                            const WriteOptions& options) {
  const bool growing = rows == RowWriter::kGrowing;
  std::vector<std::uint64_t> dims{growing ? 0 : rows};
  dims.insert(dims.end(), row_shape.begin(), row_shape.end());
  Handle dataset = create_dataset(name, dtype, dims, growing, options);
  return RowWriter(fmt::format("dataset '{}' in {}", name, path_), std::move(dataset), dtype, rows,
                   row_shape, chunk_rows_of(dims, growing, options));
}

RowWriter::RowWriter(std::string description, Handle dataset, DType dtype, std::uint64_t rows,
                     std::vector<std::uint64_t> row_shape, std::uint64_t chunk_rows)
    : description_(std::move(description)),
      dataset_(std::move(dataset)),
      dtype_(dtype),
      rows_(rows),
      row_shape_(std::move(row_shape)),
      row_bytes_(std::max<std::uint64_t>(1, product(row_shape_)) * dtype_bytes(dtype)),
      chunk_rows_(chunk_rows) {}

void RowWriter::append_raw(DType dtype, const void* data, std::size_t count) {
  RSDIST_CHECK(dtype == dtype_, "{} holds {}, not {}", description_, dtype_name(dtype_),
               dtype_name(dtype));
  const std::uint64_t row_elements = product(row_shape_);
  RSDIST_CHECK(row_elements == 0 || count % row_elements == 0,
               "{}: {} values are not whole rows of {}", description_, count, row_elements);
  const std::uint64_t rows = row_elements == 0 ? 0 : count / row_elements;
  if (rows == 0) return;
  RSDIST_CHECK(rows_ == kGrowing || rows_written() + rows <= rows_,
               "{}: {} rows appended to {} of {}", description_, rows, rows_written(), rows_);
  if (chunk_rows_ == 0) {
    write_rows(data, rows);
    return;
  }
  const auto* bytes = static_cast<const unsigned char*>(data);
  buffer_.insert(buffer_.end(), bytes, bytes + rows * row_bytes_);
  const std::uint64_t whole = buffered_rows() / chunk_rows_ * chunk_rows_;
  if (whole == 0) return;
  write_rows(buffer_.data(), whole);
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(whole * row_bytes_));
}

void RowWriter::write_rows(const void* data, std::uint64_t rows) {
  const bool growing = rows_ == kGrowing;
  std::vector<hsize_t> start(row_shape_.size() + 1, 0), block(row_shape_.size() + 1);
  start[0] = written_;
  block[0] = rows;
  std::copy(row_shape_.begin(), row_shape_.end(), block.begin() + 1);
  if (growing) {
    std::vector<hsize_t> extent = block;
    extent[0] = written_ + rows;
    RSDIST_H5_CHECK(H5Dset_extent(dataset_.get(), extent.data()), "cannot extend {}", description_);
  }
  Handle file_space(H5Dget_space(dataset_.get()), &H5Sclose);
  RSDIST_H5_CHECK(file_space.get(), "cannot read the shape of {}", description_);
  RSDIST_H5_CHECK(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                      block.data(), nullptr),
                  "cannot select rows of {}", description_);
  Handle memory_space(H5Screate_simple(static_cast<int>(block.size()), block.data(), nullptr),
                      &H5Sclose);
  RSDIST_H5_CHECK(memory_space.get(), "cannot make a dataspace for {}", description_);
  RSDIST_H5_CHECK(H5Dwrite(dataset_.get(), memory_type(dtype_), memory_space.get(),
                           file_space.get(), H5P_DEFAULT, data),
                  "cannot write rows {}..{} of {}", written_, written_ + rows, description_);
  written_ += rows;
}

void RowWriter::finish() {
  if (!buffer_.empty()) {
    write_rows(buffer_.data(), buffered_rows());
    buffer_.clear();
  }
  RSDIST_CHECK(rows_ == kGrowing || written_ == rows_, "{}: {} of {} rows written", description_,
               written_, rows_);
}

DatasetInfo File::info(const std::string& name) const {
  const Handle dataset = open_dataset(name);
  DatasetInfo info;
  Handle space(H5Dget_space(dataset.get()), &H5Sclose);
  RSDIST_H5_CHECK(space.get(), "cannot read the shape of dataset '{}' in {}", name, path_);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  RSDIST_H5_CHECK(rank, "cannot read the shape of dataset '{}' in {}", name, path_);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  RSDIST_H5_CHECK(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr),
                  "cannot read the shape of dataset '{}' in {}", name, path_);
  info.shape.assign(dims.begin(), dims.end());

  Handle type(H5Dget_type(dataset.get()), &H5Tclose);
  RSDIST_H5_CHECK(type.get(), "cannot read the type of dataset '{}' in {}", name, path_);
  RSDIST_CHECK(stored_dtype(type.get(), &info.dtype),
               "dataset '{}' in {} has a type rsdist does not read (expected int32, int64, "
               "float32 or uint8)",
               name, path_);

  Handle dcpl(H5Dget_create_plist(dataset.get()), &H5Pclose);
  RSDIST_H5_CHECK(dcpl.get(), "cannot read the properties of dataset '{}' in {}", name, path_);
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    std::vector<hsize_t> chunk(static_cast<std::size_t>(rank));
    RSDIST_H5_CHECK(H5Pget_chunk(dcpl.get(), rank, chunk.data()),
                    "cannot read the chunking of dataset '{}' in {}", name, path_);
    info.chunk.assign(chunk.begin(), chunk.end());
  }
  const int filters = H5Pget_nfilters(dcpl.get());
  for (int i = 0; i < filters; ++i) {
    unsigned flags = 0;
    std::size_t elements = 0;
    if (H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &elements, nullptr, 0, nullptr,
                       nullptr) == H5Z_FILTER_DEFLATE) {
      info.compressed = true;
    }
  }
  return info;
}

void File::read_into(const std::string& name, DType dtype, bool whole, std::uint64_t begin,
                     std::uint64_t end, void* state, void* (*allocate)(void*, std::size_t)) const {
  const DatasetInfo stored = info(name);
  RSDIST_CHECK(stored.dtype == dtype, "dataset '{}' in {} holds {}, but {} was asked for", name,
               path_, dtype_name(stored.dtype), dtype_name(dtype));
  RSDIST_CHECK(!stored.shape.empty(), "dataset '{}' in {} is a scalar; rsdist reads arrays", name,
               path_);
  const std::uint64_t rows = stored.shape[0];
  if (whole) {
    begin = 0;
    end = rows;
  }
  RSDIST_CHECK(begin <= end && end <= rows,
               "rows [{}, {}) are out of range for dataset '{}' in {} with {} rows", begin, end,
               name, path_, rows);
  std::vector<hsize_t> start(stored.shape.size(), 0);
  std::vector<hsize_t> count(stored.shape.begin(), stored.shape.end());
  start[0] = begin;
  count[0] = end - begin;
  const std::uint64_t elements = (end - begin) * product(stored.shape, 1);
  void* out = allocate(state, elements);
  if (elements == 0) return;

  const Handle dataset = open_dataset(name);
  Handle file_space(H5Dget_space(dataset.get()), &H5Sclose);
  RSDIST_H5_CHECK(file_space.get(), "cannot read the shape of dataset '{}' in {}", name, path_);
  RSDIST_H5_CHECK(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                      count.data(), nullptr),
                  "cannot select rows [{}, {}) of dataset '{}' in {}", begin, end, name, path_);
  Handle memory_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                      &H5Sclose);
  RSDIST_H5_CHECK(memory_space.get(), "cannot make a dataspace for '{}' in {}", name, path_);
  RSDIST_H5_CHECK(H5Dread(dataset.get(), memory_type(dtype), memory_space.get(), file_space.get(),
                          H5P_DEFAULT, out),
                  "cannot read rows [{}, {}) of dataset '{}' in {}", begin, end, name, path_);
}

}  // namespace rsdist::h5
