#include "case_records.h"

#include <cstring>

namespace caseload {
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
    if (in_.size() < n)
      throw caseledger::PluginError("caseload: a case's stored records are damaged");
  }
  std::string_view in_;
};

}  // namespace

void AppendRecord(std::string& records, const caseledger::Event& event) {
  Put<uint64_t>(records, event.position());
  Put<int64_t>(records, event.recorded_at_micros());
  Put<int64_t>(records, event.occurred_at_micros());
  Put<uint64_t>(records, event.corrects());
  PutBytes(records, event.type());
  PutBytes(records, event.actor_user());
  PutBytes(records, event.payload());
}

std::vector<CaseRecord> DecodeRecords(std::string_view records) {
  std::vector<CaseRecord> out;
  Reader in(records);
  while (!in.done()) {
    CaseRecord& r = out.emplace_back();
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

caseledger::CaseState Reduce(const std::vector<CaseRecord>& records) {
  std::vector<caseledger::CaseEventInput> inputs;
  inputs.reserve(records.size());
  for (const CaseRecord& r : records) {
    caseledger::CaseEventInput& in = inputs.emplace_back();
    in.position = r.position;
    in.recorded_at = caseledger::FromMicros(r.recorded_at);
    in.occurred_at = caseledger::FromMicros(r.occurred_at);
    in.type = r.type;
    in.actor_user = r.actor_user;
    in.corrects = r.corrects;
    in.payload = r.payload;
  }
  auto state = caseledger::ReduceCase(inputs);
  if (!state.ok()) throw caseledger::PluginError("caseload: " + state.status().ToString());
  return std::move(*state);
}

}  // namespace caseload
