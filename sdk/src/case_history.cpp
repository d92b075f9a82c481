#include "caseledger/case_history.h"

#include <cstring>

namespace caseledger {
inline namespace v1 {
namespace {

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
  bool done() const { return in_.empty(); }
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
    if (in_.size() < n) throw PluginError("a stored case history is damaged");
  }
  std::string_view in_;
};

}  // namespace

void AppendToCaseHistory(std::string& records, const Event& event) {
  Put<uint64_t>(records, event.position());
  Put<int64_t>(records, event.recorded_at_micros());
  Put<int64_t>(records, event.occurred_at_micros());
  Put<uint64_t>(records, event.corrects());
  PutBytes(records, event.type());
  PutBytes(records, event.actor_user());
  PutBytes(records, event.payload());
}

std::vector<StoredCaseEvent> DecodeCaseHistory(std::string_view records) {
  std::vector<StoredCaseEvent> out;
  Reader in(records);
  while (!in.done()) {
    StoredCaseEvent& r = out.emplace_back();
    r.position = in.Get<uint64_t>();
    r.recorded_at = in.Get<int64_t>();
    r.occurred_at = in.Get<int64_t>();
    r.corrects = in.Get<uint64_t>();
    r.type = in.GetBytes();
    r.actor_user = in.GetBytes();
    r.payload = in.GetBytes();
  }
  return out;
}

CaseState ReduceCaseHistory(const std::vector<StoredCaseEvent>& records) {
  std::vector<CaseEventInput> inputs;
  inputs.reserve(records.size());
  for (const StoredCaseEvent& r : records) {
    CaseEventInput& in = inputs.emplace_back();
    in.position = r.position;
    in.recorded_at = FromMicros(r.recorded_at);
    in.occurred_at = FromMicros(r.occurred_at);
    in.type = r.type;
    in.actor_user = r.actor_user;
    in.corrects = r.corrects;
    in.payload = r.payload;
  }
  auto state = ReduceCase(inputs);
  if (!state.ok()) throw PluginError(state.status().ToString());
  return std::move(*state);
}

}  // namespace v1
}  // namespace caseledger
