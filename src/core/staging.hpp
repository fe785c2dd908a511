// Outputs that appear whole or not at all.
//
// A run writes into a staging directory next to its destination (".NAME.tmp-<pid>-<n>") and
// renames it into place only when everything is written and flushed. A failed or killed run
// leaves at most a hidden staging directory, never something that looks like a finished output.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace rsdist {

class StagingDirectory {
 public:
  // Throws if `destination` exists and `overwrite` is false, naming the option that allows it.
  StagingDirectory(std::filesystem::path destination, bool overwrite,
                   std::string overwrite_option = "--force");
  ~StagingDirectory();  // removes the staging directory unless committed
  StagingDirectory(const StagingDirectory&) = delete;
  StagingDirectory& operator=(const StagingDirectory&) = delete;

  const std::filesystem::path& path() const { return staging_; }
  const std::filesystem::path& destination() const { return destination_; }

  // fsyncs every file written, then renames the staging directory onto the destination
  // (an existing destination, allowed by `overwrite`, is moved aside first and removed after).
  void commit();

 private:
  std::filesystem::path destination_;
  std::filesystem::path staging_;
  bool committed_ = false;
};

// Creates (or truncates) `path` and writes `contents`, not flushed to disk; throws naming the path
// and the system's reason ("No space left on device") when any write fails.
void write_whole_file(const std::filesystem::path& path, std::string_view contents);

// Writes `contents` to `path` through a temporary file in the same directory, fsync and rename.
void write_file_atomically(const std::filesystem::path& path, const std::string& contents);

// fsync of one file or directory; throws naming the path on failure.
void fsync_path(const std::filesystem::path& path);

}  // namespace rsdist
