// TensorBoard event files: scalars, markdown text and session starts, written by rank 0 of
// `rsdist train` into <out>/tb/ (train/training_curves.hpp says what it writes, and when).
//
// A file is `events.out.tfevents.<unix seconds>.<hostname>.<pid>.rsdist`; its first record is the
// file-version event "brain.Event:2" (without it TensorBoard's Python reader would not honour a
// SessionLog START, see train/training_curves.hpp). Events are serialised with the messages of
// summary_event.proto and framed as record_framing.hpp says.
//
// Note [Event files are append-only]: unlike rsdist's other outputs (core/staging.hpp), an event
// file is not staged and renamed into place. TensorBoard reads a file while it grows, polling the
// directory and continuing from where it stopped, so the curves of a running job show up only if
// the file is in place from the start and appended to. A crash loses what was not flushed and may
// leave a torn last record, which TensorBoard's readers take as the end of the file; a resumed run
// writes a new file (the old one is never reopened).
//
// Note [Event files sort in writing order]: TensorBoard reads the files of a directory in name
// order, and the seconds in the name are what orders them. A second file written within the same
// second by the same process (tests run several trainings in one process) would get the same name,
// so the seconds in a new name are at least one more than those of every event file already in the
// directory: a resumed run's file always sorts after the file of the run it continues.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace rsdist::tensorboard {

// `events.out.tfevents.<unix_seconds>.<host>.<pid>.rsdist`.
std::string event_file_name(std::int64_t unix_seconds, std::string_view host, long pid);

// The seconds to put in a new event file's name in `directory`: `now`, or one more than the
// largest in the names already there when that is not smaller (Note [Event files sort in writing
// order]).
std::int64_t next_event_file_seconds(const std::filesystem::path& directory, std::int64_t now);

class EventWriter {
 public:
  // Creates `directory` (and parents) and a new event file in it, never an existing one, holding
  // the file-version event. Errors name the file.
  explicit EventWriter(const std::filesystem::path& directory);
  ~EventWriter();  // flushes what is buffered; errors there are dropped (call flush() to see them)
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Buffered; written by flush(), or once the buffer holds kFlushBytes.
  void scalar(std::string_view tag, double value, std::int64_t step);
  // Markdown that TensorBoard's text plugin renders: a string tensor with plugin_name "text".
  void text(std::string_view tag, std::string_view markdown, std::int64_t step);
  // SessionLog START at `step`: TensorBoard drops what earlier files hold at steps >= `step`.
  void session_start(std::int64_t step);
  // Writes the buffered records to the file (no fsync: TensorBoard reads the page cache).
  void flush();

  const std::filesystem::path& path() const { return path_; }

  static constexpr std::size_t kFlushBytes = 1 << 20;

 private:
  void append_event(const std::string& serialized_event);

  std::filesystem::path path_;
  int fd_ = -1;
  std::string pending_;  // framed records not yet written
};

}  // namespace rsdist::tensorboard
