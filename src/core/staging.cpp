#include "core/staging.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace rsdist {
namespace fs = std::filesystem;

namespace {

fs::path sibling_temp_name(const fs::path& destination, const char* tag) {
  // Unique within the process (counter) and across processes (pid); no global mutable state
  // beyond an atomic counter that only makes names distinct.
  static std::atomic<unsigned> counter{0};
  const auto name = fmt::format(".{}.{}-{}-{}", destination.filename().string(), tag,
                                static_cast<long>(::getpid()), counter.fetch_add(1));
  return destination.parent_path() / name;
}

fs::path parent_or_dot(const fs::path& p) {
  return p.has_parent_path() ? p.parent_path() : fs::path(".");
}

}  // namespace

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  RSDIST_CHECK(fd >= 0, "cannot open '{}' to flush it: {}", path.string(), std::strerror(errno));
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  RSDIST_CHECK(rc == 0, "fsync of '{}' failed: {}", path.string(), std::strerror(saved));
}

StagingDirectory::StagingDirectory(fs::path destination, bool overwrite,
                                   std::string overwrite_option)
    : destination_(std::move(destination)) {
  RSDIST_CHECK(!destination_.empty(), "empty output directory name");
  if (destination_.filename().empty()) destination_ = destination_.parent_path();
  if (fs::exists(destination_) && !overwrite) {
    RSDIST_THROW("output '{}' already exists; remove it or pass {} to replace it",
                 destination_.string(), overwrite_option);
  }
  std::error_code ec;
  fs::create_directories(parent_or_dot(destination_), ec);
  RSDIST_CHECK(!ec, "cannot create '{}': {}", parent_or_dot(destination_).string(), ec.message());
  staging_ = sibling_temp_name(destination_, "tmp");
  fs::create_directory(staging_, ec);
  RSDIST_CHECK(!ec, "cannot create staging directory '{}': {}", staging_.string(), ec.message());
}

StagingDirectory::~StagingDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(staging_, ec);  // best effort; a destructor must not throw
  }
}

void StagingDirectory::commit() {
  RSDIST_CHECK(!committed_, "staging directory '{}' committed twice", staging_.string());
  for (const auto& entry : fs::recursive_directory_iterator(staging_)) {
    if (entry.is_regular_file()) fsync_path(entry.path());
  }
  fsync_path(staging_);
  std::error_code ec;
  fs::path old;
  if (fs::exists(destination_)) {
    old = sibling_temp_name(destination_, "old");
    fs::rename(destination_, old, ec);
    RSDIST_CHECK(!ec, "cannot move old output '{}' aside: {}", destination_.string(), ec.message());
  }
  fs::rename(staging_, destination_, ec);
  RSDIST_CHECK(!ec, "cannot rename '{}' to '{}': {}", staging_.string(), destination_.string(),
               ec.message());
  committed_ = true;
  fsync_path(parent_or_dot(destination_));
  if (!old.empty()) fs::remove_all(old, ec);
}

void write_whole_file(const fs::path& path, std::string_view contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  RSDIST_CHECK(fd >= 0, "cannot create '{}': {}", path.string(), std::strerror(errno));
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int saved = n < 0 ? errno : ENOSPC;  // a write of 0 bytes: nothing more fits
      ::close(fd);
      RSDIST_THROW("cannot write '{}' ({} of {} bytes written): {}", path.string(), done,
                   contents.size(), std::strerror(saved));
    }
    done += static_cast<std::size_t>(n);
  }
  // close() reports what some file systems (NFS) only find out at the end.
  RSDIST_CHECK(::close(fd) == 0, "cannot write '{}': {}", path.string(), std::strerror(errno));
}

void write_file_atomically(const fs::path& path, const std::string& contents) {
  const fs::path temp = sibling_temp_name(path, "tmp");
  try {
    write_whole_file(temp, contents);
    fsync_path(temp);
  } catch (const Error&) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    RSDIST_THROW("cannot rename '{}' to '{}': {}", temp.string(), path.string(), ec.message());
  }
  fsync_path(parent_or_dot(path));
}

}  // namespace rsdist
