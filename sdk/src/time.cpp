#include "caseledger/time.h"

#include <cstdio>

namespace caseledger {
inline namespace v1 {

using std::chrono::days;
using std::chrono::microseconds;

Timestamp Now() {
  return std::chrono::time_point_cast<microseconds>(std::chrono::system_clock::now());
}

std::string FormatTimestamp(Timestamp t) {
  auto day = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day};
  std::chrono::hh_mm_ss<microseconds> hms{t - day};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                        int(hms.minutes().count()), int(hms.seconds().count()));
  std::string out(buf, n);
  if (auto frac = hms.subseconds().count(); frac != 0) {
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(frac));
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  out += 'Z';
  return out;
}

namespace {

// Reads exactly `width` digits at `pos`; false if they are not all digits.
bool ReadDigits(std::string_view text, size_t pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;  // no signs, no spaces
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

Result<Timestamp> ParseTimestamp(std::string_view text) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("invalid time \"" + std::string(text) + "\": " + why +
                                   " (expected RFC 3339, e.g. 2026-03-01T10:00:00Z)");
  };
  int y, mo, d, h = 0, mi = 0, s = 0;
  if (!ReadDigits(text, 0, 4, y) || text.size() < 10 || text[4] != '-' ||
      !ReadDigits(text, 5, 2, mo) || text[7] != '-' || !ReadDigits(text, 8, 2, d))
    return bad("bad date");
  std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(mo),
                                  std::chrono::day(d)};
  if (!ymd.ok()) return bad("no such date");
  microseconds sub{0};
  int64_t offset_seconds = 0;
  if (text.size() > 10) {
    if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !ReadDigits(text, 11, 2, h) ||
        text.size() < 19 || text[13] != ':' || !ReadDigits(text, 14, 2, mi) || text[16] != ':' ||
        !ReadDigits(text, 17, 2, s))
      return bad("bad time of day");
    if (h > 23 || mi > 59 || s > 60) return bad("time of day out of range");
    size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      int64_t micros = 0;
      size_t digits = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        if (digits < 6) micros = micros * 10 + (text[pos] - '0');
        ++digits;
        ++pos;
      }
      if (digits == 0 || digits > 9) return bad("bad fraction of a second");
      for (size_t i = digits; i < 6; ++i) micros *= 10;
      sub = microseconds(micros);
    }
    if (pos >= text.size()) return bad("missing time zone (Z or +HH:MM)");
    if (text[pos] == 'Z' || text[pos] == 'z') {
      ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
      int oh, om;
      if (!ReadDigits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
          !ReadDigits(text, pos + 4, 2, om) || oh > 23 || om > 59)
        return bad("bad time zone offset");
      offset_seconds = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
      pos += 6;
    } else {
      return bad("missing time zone (Z or +HH:MM)");
    }
    if (pos != text.size()) return bad("trailing characters");
  }
  Timestamp t = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                std::chrono::seconds(s) + sub - std::chrono::seconds(offset_seconds);
  return t;
}

}  // namespace v1
}  // namespace caseledger
