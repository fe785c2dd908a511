// An owned HDF5 identifier (file, group, dataset, dataspace, datatype, attribute, property list),
// closed by its destructor with the matching H5?close.
//
// Kept free of <hdf5.h> so that code including the public file.hpp does not need HDF5's include
// directories: hid_t is int64_t and herr_t is int in every HDF5 >= 1.10 (checked in handle.cpp).
#pragma once

#include <cstdint>

namespace rsdist::h5 {

using Id = std::int64_t;  // hid_t

class Handle {
 public:
  using Closer = int (*)(Id);

  Handle() = default;
  // Takes ownership of `id` (which must be valid, >= 0) and closes it with `close`.
  Handle(Id id, Closer close) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = other.id_;
      close_ = other.close_;
      other.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  Id get() const { return id_; }
  bool valid() const { return id_ >= 0; }

  // Closes now; a failure to close is ignored here (destructors must not throw), so code that
  // must know a file was flushed calls File::close(), which checks.
  void reset() {
    if (id_ >= 0 && close_ != nullptr) close_(id_);
    id_ = -1;
  }
  // Gives up ownership without closing.
  Id release() {
    const Id id = id_;
    id_ = -1;
    return id;
  }

 private:
  Id id_ = -1;
  Closer close_ = nullptr;
};

}  // namespace rsdist::h5
