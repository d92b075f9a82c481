#include "caseledger/case_history.h"

#include <cstring>

namespace caseledger {
inline namespace v1 {
namespace {

constexpr char kSeparator = '\x1f';

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void PutBytes(std::string& out, std::string_view bytes) {
  Put<uint32_t>(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  template <typename T>
  T Get() {
    Need(sizeof(T));
    T value;
    std::memcpy(&value, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return value;
  }
  std::string GetBytes() {
    const uint32_t size = Get<uint32_t>();
    Need(size);
    std::string out(in_.substr(0, size));
    in_.remove_prefix(size);
    return out;
  }

 private:
  void Need(size_t n) const {
    if (in_.size() < n) throw PluginError("a stored case event is damaged");
  }
  std::string_view in_;
};

std::string StreamKey(std::string_view prefix, std::string_view stream) {
  std::string key(prefix);
  key += kSeparator;
  key.append(stream);
  key += kSeparator;
  return key;
}

}  // namespace

void RecordCaseEvent(State& state, std::string_view prefix, const Event& event) {
  std::string key = StreamKey(prefix, event.stream());
  for (int shift = 56; shift >= 0; shift -= 8)
    key += static_cast<char>((event.position() >> shift) & 0xff);
  std::string value;
  Put<int64_t>(value, event.recorded_at_micros());
  Put<int64_t>(value, event.occurred_at_micros());
  Put<uint64_t>(value, event.corrects());
  PutBytes(value, event.type());
  PutBytes(value, event.actor_user());
  PutBytes(value, event.payload());
  state.Put(key, value);
}

void ForEachCaseHistory(
    const State& state, std::string_view prefix,
    const std::function<void(std::string_view stream, const std::vector<StoredCaseEvent>& events)>&
        visit,
    std::string_view stream_prefix) {
  const std::string scan = std::string(prefix) + kSeparator + std::string(stream_prefix);
  std::string stream;
  std::vector<StoredCaseEvent> events;
  state.Scan(scan, [&](std::string_view key, std::string_view value) {
    key.remove_prefix(prefix.size() + 1);
    const size_t end = key.find(kSeparator);
    if (end == std::string_view::npos || key.size() != end + 1 + 8)
      throw PluginError("a stored case event has a damaged key");
    if (key.substr(0, end) != stream) {
      if (!events.empty()) visit(stream, events);
      stream.assign(key.substr(0, end));
      events.clear();
    }
    StoredCaseEvent& e = events.emplace_back();
    for (size_t i = end + 1; i < key.size(); ++i)
      e.position = (e.position << 8) | static_cast<uint8_t>(key[i]);
    Reader in(value);
    e.recorded_at = in.Get<int64_t>();
    e.occurred_at = in.Get<int64_t>();
    e.corrects = in.Get<uint64_t>();
    e.type = in.GetBytes();
    e.actor_user = in.GetBytes();
    e.payload = in.GetBytes();
    return true;
  });
  if (!events.empty()) visit(stream, events);
}

std::vector<CaseEventInput> AsReducerInputs(const std::vector<StoredCaseEvent>& events) {
  std::vector<CaseEventInput> inputs;
  inputs.reserve(events.size());
  for (const StoredCaseEvent& r : events) {
    CaseEventInput& in = inputs.emplace_back();
    in.position = r.position;
    in.recorded_at = FromMicros(r.recorded_at);
    in.occurred_at = FromMicros(r.occurred_at);
    in.type = r.type;
    in.actor_user = r.actor_user;
    in.corrects = r.corrects;
    in.payload = r.payload;
  }
  return inputs;
}

CaseState ReduceCaseHistory(const std::vector<StoredCaseEvent>& events) {
  const std::vector<CaseEventInput> inputs = AsReducerInputs(events);
  auto state = ReduceCase(inputs);
  if (!state.ok()) throw PluginError(state.status().ToString());
  return std::move(*state);
}

}  // namespace v1
}  // namespace caseledger
