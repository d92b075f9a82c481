// One NDJSON event line, built by appending into a reused buffer (no JSON library on the
// hot path), and the generator's clock.
//
// The line has exactly the form caseledger::ParseEventLine reads:
//   {"stream":"case-000042","type":"ReferralMade","expectedVersion":7,"eventId":"<32 hex>",
//    "occurredAt":"2025-03-01T02:00:00Z","actor":{"user":"w-17","role":"caseworker",
//    "agency":"ca-130111"},["corrects":12,"correctionReason":"...",]"data":{...}}
// expectedVersion is the stream's exact version before the event ("no_stream" for its
// first event), so the file appended in order to an empty ledger passes every check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace caseledger::gen {

inline constexpr int64_t kMinute = 60;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;
inline constexpr int64_t kWeek = 7 * kDay;

// The model runs on a simulated clock (seconds since the Unix epoch). Lines show it on the
// wall clock, where every simulated day is squeezed into the working day, 08:00-20:00 in
// China (UTC+8), i.e. 00:00-12:00 UTC: child-protection work is recorded in office hours.
// The map is non-decreasing, so order is kept, and it moves a time by at most 12 hours.
int64_t WallClock(int64_t simulated);
// Days since 1970-01-01 of a wall-clock time (the UTC calendar date).
inline int64_t DayOf(int64_t wall) { return wall >= 0 ? wall / kDay : (wall - kDay + 1) / kDay; }
// Days since 1970-01-01 of a proleptic Gregorian date.
int64_t DaysFromCivil(int year, unsigned month, unsigned day);
// "2026-03-01T10:00:00Z" and "2026-03-01".
void AppendTimestamp(std::string& out, int64_t unix_seconds);
void AppendDate(std::string& out, int64_t days);

struct ActorFields {
  std::string_view user, role, agency;
};

class LineWriter {
 public:
  // Event ids are a keyed hash (XXH3-128 seeded with `seed`) of the line number.
  explicit LineWriter(uint64_t seed) : seed_(seed) {}

  // Starts a line: the envelope up to and including `"data":{`. `version_before` is the
  // stream's version before this event (-1: the stream is new). `occurred` is simulated.
  void Begin(uint64_t line_number, std::string_view stream, std::string_view type,
             int64_t version_before, int64_t occurred, const ActorFields& actor,
             uint64_t corrects = 0, std::string_view correction_reason = {});
  // Fields of "data", in the order given.
  void Text(std::string_view name, std::string_view value);
  void Number(std::string_view name, uint64_t value);
  void Bool(std::string_view name, bool value);
  void Time(std::string_view name, int64_t simulated);
  void Date(std::string_view name, int64_t days);
  // A list: OpenList, then ListText / ListObject...CloseObject, then CloseList.
  void OpenList(std::string_view name);
  void ListText(std::string_view value);
  void OpenListObject();
  void CloseObject();
  void CloseList();
  // Closes "data" and the line (no newline).
  void End();

  const std::string& line() const { return line_; }
  // The occurredAt written by the last Begin, on the wall clock.
  int64_t occurred_wall() const { return occurred_wall_; }
  // The event id of a line, 32 lowercase hex digits, never all zeros.
  std::string EventIdHex(uint64_t line_number) const;

 private:
  void AppendEventId(std::string& out, uint64_t line_number) const;
  void Key(std::string_view name);
  void AppendEscaped(std::string_view text);

  uint64_t seed_;
  std::string line_;
  bool first_ = true;  // no member written yet in the innermost open object or list
  int64_t occurred_wall_ = 0;
};

}  // namespace caseledger::gen
