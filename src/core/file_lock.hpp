// An exclusive lock on a file, held while the object lives.
//
// Note [Run directory lock]
// flock(2) on an open file: the kernel releases it when the descriptor is closed, which it does
// however the process ends (kill -9 included), so no stale lock survives its holder and nothing
// has to be cleaned up by hand. The holder writes "pid <pid> on <host>" into the file, so that a
// process refused the lock can say who holds it. Local file systems and NFSv4 (through POSIX
// locks) honour it; Lustre only when mounted with `-o flock`.
#pragma once

#include <filesystem>
#include <string>

namespace rsdist {

class FileLock {
 public:
  FileLock() = default;  // holds nothing
  // Takes the lock on `path` (created if absent) without waiting. When another process holds it,
  // throws rsdist::Error: "<what> is in use by another process (pid N on host H holds <path>)",
  // followed by `advice`.
  static FileLock acquire(const std::filesystem::path& path, const std::string& what,
                          const std::string& advice);
  ~FileLock();
  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  bool held() const { return fd_ >= 0; }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace rsdist
