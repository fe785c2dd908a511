// File, group and attribute operations of h5::File; datasets are in dataset_io.cpp.
#include "data/hdf5/file.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/hdf5/h5_error.hpp"

namespace rsdist::h5 {
namespace {

// "a/b/c" -> {"a", "a/b", "a/b/c"}; a leading "/" is kept on each.
std::vector<std::string> path_prefixes(const std::string& name) {
  std::vector<std::string> prefixes;
  for (std::size_t pos = name.find('/', 1); pos != std::string::npos;
       pos = name.find('/', pos + 1)) {
    prefixes.push_back(name.substr(0, pos));
  }
  if (!name.empty() && name != "/") prefixes.push_back(name);
  return prefixes;
}

}  // namespace

File File::create(const std::filesystem::path& path) {
  quiet_hdf5_errors();
  const std::string p = path.string();
  const hid_t id = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  RSDIST_H5_CHECK(id, "cannot create file {}", p);
  return File(p, Handle(id, &H5Fclose));
}

File File::open(const std::filesystem::path& path) {
  quiet_hdf5_errors();
  const std::string p = path.string();
  // HDF5's message for a missing file is a page of stack; say it plainly.
  RSDIST_CHECK(std::filesystem::exists(path), "HDF5 file {} does not exist", p);
  const hid_t id = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  RSDIST_H5_CHECK(id, "cannot open file {} (not an HDF5 file?)", p);
  return File(p, Handle(id, &H5Fclose));
}

void File::close() {
  if (!file_.valid()) return;
  const hid_t id = file_.release();
  RSDIST_H5_CHECK(H5Fclose(id), "cannot close file {} (data may not have been written)", path_);
}

void File::create_group(const std::string& name) {
  // Groups created without modification times, like datasets, so files are byte-stable.
  Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), &H5Pclose);
  RSDIST_H5_CHECK(gcpl.get(), "cannot create a property list for group '{}' in {}", name, path_);
  RSDIST_H5_CHECK(H5Pset_obj_track_times(gcpl.get(), 0), "cannot set group properties in {}",
                  path_);
  for (const std::string& prefix : path_prefixes(name)) {
    const htri_t present = H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT);
    RSDIST_H5_CHECK(present, "cannot look up '{}' in {}", prefix, path_);
    if (present > 0) continue;
    Handle group(H5Gcreate2(file_.get(), prefix.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                 &H5Gclose);
    RSDIST_H5_CHECK(group.get(), "cannot create group '{}' in {}", prefix, path_);
  }
}

bool File::exists(const std::string& name) const {
  if (name.empty() || name == "/") return true;
  // H5Lexists needs every intermediate link to exist, so look the path up one level at a time.
  for (const std::string& prefix : path_prefixes(name)) {
    const htri_t present = H5Lexists(file_.get(), prefix.c_str(), H5P_DEFAULT);
    RSDIST_H5_CHECK(present, "cannot look up '{}' in {}", prefix, path_);
    if (present == 0) return false;
  }
  return true;
}

void File::write_attribute(const std::string& object, const std::string& name,
                           const std::string& value) {
  Handle target(H5Oopen(file_.get(), object.c_str(), H5P_DEFAULT), &H5Oclose);
  RSDIST_H5_CHECK(target.get(), "cannot open '{}' in {} to set attribute '{}'", object, path_,
                  name);
  const htri_t present = H5Aexists(target.get(), name.c_str());
  RSDIST_H5_CHECK(present, "cannot look up attribute '{}' of '{}' in {}", name, object, path_);
  if (present > 0) {
    RSDIST_H5_CHECK(H5Adelete(target.get(), name.c_str()),
                    "cannot replace attribute '{}' of '{}' in {}", name, object, path_);
  }
  Handle type(H5Tcopy(H5T_C_S1), &H5Tclose);
  RSDIST_H5_CHECK(type.get(), "cannot make a string type in {}", path_);
  RSDIST_H5_CHECK(H5Tset_size(type.get(), H5T_VARIABLE), "cannot make a string type in {}", path_);
  RSDIST_H5_CHECK(H5Tset_cset(type.get(), H5T_CSET_UTF8), "cannot make a string type in {}", path_);
  Handle space(H5Screate(H5S_SCALAR), &H5Sclose);
  RSDIST_H5_CHECK(space.get(), "cannot make a scalar dataspace in {}", path_);
  Handle attribute(
      H5Acreate2(target.get(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      &H5Aclose);
  RSDIST_H5_CHECK(attribute.get(), "cannot create attribute '{}' of '{}' in {}", name, object,
                  path_);
  const char* text = value.c_str();
  RSDIST_H5_CHECK(H5Awrite(attribute.get(), type.get(), &text),
                  "cannot write attribute '{}' of '{}' in {}", name, object, path_);
}

std::string File::read_attribute(const std::string& object, const std::string& name) const {
  Handle attribute(
      H5Aopen_by_name(file_.get(), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
      &H5Aclose);
  RSDIST_H5_CHECK(attribute.get(), "cannot open attribute '{}' of '{}' in {}", name, object, path_);
  Handle stored(H5Aget_type(attribute.get()), &H5Tclose);
  RSDIST_H5_CHECK(stored.get(), "cannot read the type of attribute '{}' of '{}' in {}", name,
                  object, path_);
  RSDIST_CHECK(H5Tget_class(stored.get()) == H5T_STRING,
               "attribute '{}' of '{}' in {} is not a string", name, object, path_);
  Handle type(H5Tcopy(H5T_C_S1), &H5Tclose);
  RSDIST_H5_CHECK(type.get(), "cannot make a string type in {}", path_);
  // HDF5 converts no string between character sets: read in the one it was written in.
  RSDIST_H5_CHECK(H5Tset_cset(type.get(), H5Tget_cset(stored.get())),
                  "cannot make a string type in {}", path_);
  if (H5Tis_variable_str(stored.get()) > 0) {
    RSDIST_H5_CHECK(H5Tset_size(type.get(), H5T_VARIABLE), "cannot make a string type in {}",
                    path_);
    char* text = nullptr;
    RSDIST_H5_CHECK(H5Aread(attribute.get(), type.get(), &text),
                    "cannot read attribute '{}' of '{}' in {}", name, object, path_);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  // Fixed-length strings (as other tools may write them): NUL-padded to the stored size.
  const std::size_t size = H5Tget_size(stored.get());
  RSDIST_H5_CHECK(H5Tset_size(type.get(), size + 1), "cannot make a string type in {}", path_);
  std::string value(size + 1, '\0');
  RSDIST_H5_CHECK(H5Aread(attribute.get(), type.get(), value.data()),
                  "cannot read attribute '{}' of '{}' in {}", name, object, path_);
  value.resize(value.find('\0'));
  return value;
}

}  // namespace rsdist::h5
