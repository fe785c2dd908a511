#include "core/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace rsdist {
namespace {

// What the holder wrote into the lock file, for the refusal message.
std::string holder_of(int fd) {
  char text[256] = {};
  const ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  std::string holder(text, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder.empty() ? "a process that has not written its pid yet" : holder;
}

}  // namespace

FileLock FileLock::acquire(const std::filesystem::path& path, const std::string& what,
                           const std::string& advice) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  RSDIST_CHECK(fd >= 0, "cannot open lock file '{}': {}", path.string(), std::strerror(errno));
  FileLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int saved = errno;
    RSDIST_CHECK(saved == EWOULDBLOCK, "cannot lock '{}': {}", path.string(), std::strerror(saved));
    RSDIST_THROW("{} is in use by another process ({} holds {}); {}", what, holder_of(fd),
                 path.string(), advice);
  }
  char host[HOST_NAME_MAX + 1] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::strcpy(host, "an unknown host");
  const std::string holder = fmt::format("pid {} on {}\n", static_cast<long>(::getpid()), host);
  // Best effort: the lock itself is what excludes; the text only names the holder.
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd, holder.data(), holder.size(), 0);
  }
  return lock;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

FileLock::FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

}  // namespace rsdist
