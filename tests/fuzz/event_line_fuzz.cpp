// libFuzzer target for the NDJSON line decoder (caseledger::ParseEventLine): no input may
// crash it or trip a sanitizer, a refused line is kInvalidArgument, and a line it accepts
// must hold up everywhere else the SDK uses it:
//   - its payload passes ValidatePayload as its type;
//   - RecordedEventToJson writes it (as the ledger would after an append);
//   - its data, written with PayloadToJson and read back with PayloadFromJson, is the
//     same data (same JSON again).
// Build and run: scripts/fuzz.sh [seconds] (the `fuzz` preset: clang, ASan + UBSan).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "caseledger/case_events.h"

namespace {

void Check(bool ok, const char* what, const caseledger::Status& status) {
  if (ok) return;
  std::fprintf(stderr, "event_line_fuzz: %s: %s\n", what, status.ToString().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace caseledger;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  Result<EventLine> parsed = ParseEventLine(line);
  if (!parsed.ok()) {
    Check(parsed.status().code() == StatusCode::kInvalidArgument,
          "a refused line is not kInvalidArgument", parsed.status());
    return 0;
  }

  const ProposedEvent& event = parsed->event;
  const EventType* type = FindEventType(event.type);
  Check(type != nullptr, "an accepted line has a type outside the catalogue", Status::Ok());
  Check(ValidateStreamId(parsed->stream).ok(), "an accepted line has a bad stream id",
        ValidateStreamId(parsed->stream));
  Check(ValidateProposedEvent(event).ok(), "an accepted line is no valid event",
        ValidateProposedEvent(event));
  Status valid = ValidatePayload(*type, event.payload);
  Check(valid.ok(), "the payload of an accepted line fails ValidatePayload", valid);

  RecordedEvent recorded;
  recorded.position = 1;
  recorded.stream = parsed->stream;
  recorded.stream_version = 0;
  recorded.recorded_at = FromMicros(1'772'359'200'000'000);  // 2026-03-01T10:00:00Z
  recorded.recorded_by = "fuzz";
  recorded.event = event;
  Result<std::string> json_line = RecordedEventToJson(recorded);
  Check(json_line.ok(), "RecordedEventToJson of an accepted line fails", json_line.status());

  Result<std::string> json = PayloadToJson(*type, event.payload);
  Check(json.ok(), "PayloadToJson of an accepted line fails", json.status());
  Result<std::string> again = PayloadFromJson(*type, *json);
  Check(again.ok(), "PayloadFromJson refuses what PayloadToJson wrote", again.status());
  Result<std::string> json_again = PayloadToJson(*type, *again);
  Check(json_again.ok() && *json_again == *json, "the data changed on a second round trip",
        json_again.status());
  return 0;
}
