#include "gen/line_writer.h"

#include <xxhash.h>

#include <charconv>
#include <cstring>

namespace caseledger::gen {
namespace {

constexpr int64_t kChinaOffset = 8 * kHour;
const char kHexDigits[] = "0123456789abcdef";

void AppendTwoDigits(std::string& out, unsigned n) {
  out.push_back(static_cast<char>('0' + n / 10));
  out.push_back(static_cast<char>('0' + n % 10));
}

// Howard Hinnant's civil_from_days.
void CivilFromDays(int64_t z, int& year, unsigned& month, unsigned& day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int>(yoe + era * 400 + (month <= 2));
}

void AppendYmd(std::string& out, int64_t days) {
  int year;
  unsigned month, day;
  CivilFromDays(days, year, month, day);
  char buf[8];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, year);
  for (auto n = end - buf; n < 4; ++n) out.push_back('0');
  out.append(buf, end);
  out.push_back('-');
  AppendTwoDigits(out, month);
  out.push_back('-');
  AppendTwoDigits(out, day);
}

void AppendNumber(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

}  // namespace

int64_t WallClock(int64_t simulated) {
  // Local (UTC+8) day and second of day; the day's 24 h map linearly onto local 08:00-20:00,
  // which is UTC 00:00-12:00 of the same calendar date.
  const int64_t local = simulated + kChinaOffset;
  const int64_t day = DayOf(local);
  return day * kDay + (local - day * kDay) / 2;
}

int64_t DaysFromCivil(int year, unsigned month, unsigned day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(year - era * 400);
  const unsigned doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void AppendTimestamp(std::string& out, int64_t unix_seconds) {
  const int64_t days = DayOf(unix_seconds);
  const int64_t s = unix_seconds - days * kDay;
  AppendYmd(out, days);
  out.push_back('T');
  AppendTwoDigits(out, static_cast<unsigned>(s / 3600));
  out.push_back(':');
  AppendTwoDigits(out, static_cast<unsigned>(s / 60 % 60));
  out.push_back(':');
  AppendTwoDigits(out, static_cast<unsigned>(s % 60));
  out.push_back('Z');
}

void AppendDate(std::string& out, int64_t days) { AppendYmd(out, days); }

std::string LineWriter::EventIdHex(uint64_t line_number) const {
  std::string hex;
  AppendEventId(hex, line_number);
  return hex;
}

void LineWriter::AppendEventId(std::string& out, uint64_t line_number) const {
  uint8_t key[8];
  for (int i = 0; i < 8; ++i)
    key[i] = static_cast<uint8_t>(line_number >> (8 * i));  // little-endian on any host
  XXH128_hash_t h = XXH3_128bits_withSeed(key, sizeof key, seed_);
  if (h.high64 == 0 && h.low64 == 0) h.low64 = 1;  // an all-zero id is "no id"
  for (int i = 0; i < 16; ++i) out += kHexDigits[(h.high64 >> (60 - 4 * i)) & 15];
  for (int i = 0; i < 16; ++i) out += kHexDigits[(h.low64 >> (60 - 4 * i)) & 15];
}

void LineWriter::Begin(uint64_t line_number, std::string_view stream, std::string_view type,
                       int64_t version_before, int64_t occurred, const ActorFields& actor,
                       uint64_t corrects, std::string_view correction_reason) {
  line_.clear();
  line_ += R"({"stream":")";
  AppendEscaped(stream);
  line_ += R"(","type":")";
  line_ += type;
  line_ += R"(","expectedVersion":)";
  if (version_before < 0) {
    line_ += R"("no_stream")";
  } else {
    AppendNumber(line_, static_cast<uint64_t>(version_before));
  }
  line_ += R"(,"eventId":")";
  AppendEventId(line_, line_number);
  line_ += R"(","occurredAt":")";
  occurred_wall_ = WallClock(occurred);
  AppendTimestamp(line_, occurred_wall_);
  line_ += R"(","actor":{"user":")";
  AppendEscaped(actor.user);
  line_ += R"(","role":")";
  AppendEscaped(actor.role);
  line_ += R"(","agency":")";
  AppendEscaped(actor.agency);
  line_ += "\"}";
  if (corrects != 0) {
    line_ += R"(,"corrects":)";
    AppendNumber(line_, corrects);
    line_ += R"(,"correctionReason":")";
    AppendEscaped(correction_reason);
    line_ += '"';
  }
  line_ += R"(,"data":{)";
  first_ = true;
}

void LineWriter::Key(std::string_view name) {
  if (!first_) line_ += ',';
  first_ = false;
  line_ += '"';
  line_ += name;
  line_ += "\":";
}

namespace {

// True if no byte of `text` needs escaping in a JSON string (no '"', '\\' or control
// byte), tested eight bytes at a time (the classic has-zero-byte trick).
bool IsPlain(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t v) { return (v - kOnes) & ~v & kHighs; };
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, text.data() + i, 8);
    // A byte < 0x20 has none of the bits 0xe0: (v & 0xe0..) has a zero byte there.
    if (has_zero(v ^ (kOnes * '"')) | has_zero(v ^ (kOnes * '\\')) | has_zero(v & (kOnes * 0xe0)))
      return false;
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\' || c < 0x20) return false;
  }
  return true;
}

}  // namespace

void LineWriter::AppendEscaped(std::string_view text) {
  // The generator's own texts never need escaping: append them whole.
  if (IsPlain(text)) {
    line_.append(text);
    return;
  }
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      line_ += '\\';
      line_ += c;
    } else if (u < 0x20) {
      line_ += "\\u00";
      line_ += kHexDigits[u >> 4];
      line_ += kHexDigits[u & 15];
    } else {
      line_ += c;
    }
  }
}

void LineWriter::Text(std::string_view name, std::string_view value) {
  Key(name);
  line_ += '"';
  AppendEscaped(value);
  line_ += '"';
}

void LineWriter::Number(std::string_view name, uint64_t value) {
  Key(name);
  AppendNumber(line_, value);
}

void LineWriter::Bool(std::string_view name, bool value) {
  Key(name);
  line_ += value ? "true" : "false";
}

void LineWriter::Time(std::string_view name, int64_t simulated) {
  Key(name);
  line_ += '"';
  AppendTimestamp(line_, WallClock(simulated));
  line_ += '"';
}

void LineWriter::Date(std::string_view name, int64_t days) {
  Key(name);
  line_ += '"';
  AppendDate(line_, days);
  line_ += '"';
}

void LineWriter::OpenList(std::string_view name) {
  Key(name);
  line_ += '[';
  first_ = true;
}

void LineWriter::ListText(std::string_view value) {
  if (!first_) line_ += ',';
  first_ = false;
  line_ += '"';
  AppendEscaped(value);
  line_ += '"';
}

void LineWriter::OpenListObject() {
  if (!first_) line_ += ',';
  line_ += '{';
  first_ = true;
}

void LineWriter::CloseObject() {
  line_ += '}';
  first_ = false;
}

void LineWriter::CloseList() {
  line_ += ']';
  first_ = false;
}

void LineWriter::End() { line_ += "}}"; }

}  // namespace caseledger::gen
