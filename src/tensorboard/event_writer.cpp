#include "tensorboard/event_writer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

#include "core/error.hpp"
#include "tensorboard/record_framing.hpp"
#include "tensorboard/summary_event.pb.h"

namespace rsdist::tensorboard {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kFilePrefix = "events.out.tfevents.";

double wall_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

proto::Event event_at(std::int64_t step) {
  proto::Event event;
  event.set_wall_time(wall_time_now());
  event.set_step(step);
  return event;
}

}  // namespace

std::string event_file_name(std::int64_t unix_seconds, std::string_view host, long pid) {
  return fmt::format("{}{}.{}.{}.rsdist", kFilePrefix, unix_seconds, host, pid);
}

std::int64_t next_event_file_seconds(const fs::path& directory, std::int64_t now) {
  std::int64_t seconds = now;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(directory, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(kFilePrefix)) continue;
    const char* first = name.data() + kFilePrefix.size();
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(first, name.data() + name.size(), value);
    if (error == std::errc() && end != first && end != name.data() + name.size() && *end == '.')
      seconds = std::max(seconds, value + 1);
  }
  return seconds;
}

EventWriter::EventWriter(const fs::path& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  RSDIST_CHECK(!ec, "cannot create the TensorBoard directory {}: {}", directory.string(),
               ec.message());
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  path_ = directory / event_file_name(next_event_file_seconds(directory, now), host_name(),
                                      static_cast<long>(::getpid()));
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  RSDIST_CHECK(fd_ >= 0, "cannot create the TensorBoard event file {}: {}", path_.string(),
               std::strerror(errno));
  proto::Event version = event_at(0);
  version.set_file_version("brain.Event:2");
  append_event(version.SerializeAsString());
  flush();
}

EventWriter::~EventWriter() {
  try {
    flush();
  } catch (const Error&) {
    // A destructor cannot report it; the trainer's own flush() after each epoch does.
  }
  if (fd_ >= 0) ::close(fd_);
}

void EventWriter::scalar(std::string_view tag, double value, std::int64_t step) {
  proto::Event event = event_at(step);
  proto::Summary::Value* v = event.mutable_summary()->add_value();
  v->set_tag(std::string(tag));
  v->set_simple_value(static_cast<float>(value));
  append_event(event.SerializeAsString());
}

void EventWriter::text(std::string_view tag, std::string_view markdown, std::int64_t step) {
  proto::Event event = event_at(step);
  proto::Summary::Value* v = event.mutable_summary()->add_value();
  v->set_tag(std::string(tag));
  // The text plugin's metadata: its name, and an empty TextPluginData (version 0) as content.
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  proto::TensorProto* tensor = v->mutable_tensor();
  tensor->set_dtype(proto::DT_STRING);
  tensor->mutable_tensor_shape();  // a scalar: a shape without dimensions
  tensor->add_string_val(std::string(markdown));
  append_event(event.SerializeAsString());
}

void EventWriter::session_start(std::int64_t step) {
  proto::Event event = event_at(step);
  event.mutable_session_log()->set_status(proto::SessionLog::START);
  append_event(event.SerializeAsString());
}

void EventWriter::append_event(const std::string& serialized_event) {
  pending_ += frame_record(serialized_event);
  if (pending_.size() >= kFlushBytes) flush();
}

void EventWriter::flush() {
  std::size_t written = 0;
  while (written < pending_.size()) {
    const ssize_t n = ::write(fd_, pending_.data() + written, pending_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      pending_.erase(0, written);
      RSDIST_THROW("cannot write the TensorBoard event file {}: {}", path_.string(),
                   std::strerror(error));
    }
    written += static_cast<std::size_t>(n);
  }
  pending_.clear();
}

}  // namespace rsdist::tensorboard
