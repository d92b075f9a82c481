// The JSON form of case events: capnp's JsonCodec does the conversion; before it runs,
// our own walk over the parsed JSON checks what JsonCodec would not, or would report
// without naming the field: required fields, enum values, value types, timestamps and
// location codes. So every error names the field by its path ("data.referralId").
#include <capnp/compat/json.h>
#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/exception.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <set>

#include "caseledger/case_events.h"
#include "caseledger/payload_message.h"
#include "schema/case_events.capnp.h"
#include "schema_annotations.h"

namespace caseledger {
inline namespace v1 {
namespace {

constexpr int kMaxDepth = 16;

using capnp::JsonValue;

std::string Str(kj::StringPtr s) { return std::string(s.begin(), s.end()); }
std::string Str(capnp::Text::Reader s) { return std::string(s.begin(), s.end()); }

// A kj exception's description without the failed condition KJ_REQUIRE puts before it
// ("expected prefix == ...; Unexpected input in JSON message." -> the part after "; ").
std::string Reason(const kj::Exception& e) {
  std::string d = Str(e.getDescription());
  const size_t cut = d.rfind("; ");
  return cut == std::string::npos ? d : d.substr(cut + 2);
}

using schema_annotations::IsRequired;
using schema_annotations::JsonName;

std::string Hex(capnp::Data::Reader bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

// "2026-03-01" -> days since 1970-01-01 (proleptic Gregorian), or nothing.
std::optional<int32_t> ParseDate(std::string_view text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  if (text.size() != 10) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i)  // sscanf alone would take signs and spaces
    if (i == 4 || i == 7 ? text[i] != '-' : (text[i] < '0' || text[i] > '9')) return std::nullopt;
  if (std::sscanf(std::string(text).c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
    return std::nullopt;
  auto ymd = std::chrono::year(y) / std::chrono::month(m) / std::chrono::day(d);
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd).time_since_epoch().count();
}

std::string FormatDate(int32_t days) {
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

// ---- JsonCodec handlers for the schema's own value types ----

class SealedHandler final : public capnp::JsonCodec::Handler<schema::Sealed> {
 public:
  void encode(const capnp::JsonCodec&, schema::Sealed::Reader in,
              JsonValue::Builder out) const override {
    if (in.isClear()) {
      out.setString(in.getClear());
      return;
    }
    auto object = out.initObject(1);
    if (in.isErased()) {
      object[0].setName("erased");
      object[0].initValue().setString(Hex(in.getErased()));
      return;
    }
    if (in.isRedacted()) {
      object[0].setName("redacted");
      object[0].initValue().setString(Hex(in.getRedacted()));
      return;
    }
    object[0].setName("sealed");
    object[0].initValue().setString(Hex(in.getLocked().getKeyId()));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader in,
              schema::Sealed::Builder out) const override {
    KJ_REQUIRE(in.isString(), "a personal field is a string");
    out.setClear(in.getString());
  }
};

class TimeHandler final : public capnp::JsonCodec::Handler<schema::Time> {
 public:
  void encode(const capnp::JsonCodec&, schema::Time::Reader in,
              JsonValue::Builder out) const override {
    out.setString(FormatTimestamp(FromMicros(in.getMicros())));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader in,
              schema::Time::Builder out) const override {
    KJ_REQUIRE(in.isString(), "a time is a string");
    auto t = ParseTimestamp(Str(in.getString()));
    KJ_REQUIRE(t.ok(), "not an RFC 3339 time");
    out.setMicros(ToMicros(*t));
  }
};

class DateHandler final : public capnp::JsonCodec::Handler<schema::Date> {
 public:
  void encode(const capnp::JsonCodec&, schema::Date::Reader in,
              JsonValue::Builder out) const override {
    out.setString(FormatDate(in.getDaysSinceEpoch()));
  }
  void decode(const capnp::JsonCodec&, JsonValue::Reader in,
              schema::Date::Builder out) const override {
    KJ_REQUIRE(in.isString(), "a date is a string");
    auto days = ParseDate(Str(in.getString()));
    KJ_REQUIRE(days != std::nullopt, "not a YYYY-MM-DD date");
    out.setDaysSinceEpoch(*days);
  }
};

// One codec for the process: configured once, then only used through const methods.
struct Codec {
  capnp::JsonCodec json;
  SealedHandler sealed;
  TimeHandler time;
  DateHandler date;
  Codec() {
    json.setRejectUnknownFields(true);
    json.addTypeHandler(sealed);
    json.addTypeHandler(time);
    json.addTypeHandler(date);
    for (const EventType& t : EventCatalogue()) json.handleByAnnotation(t.schema);
  }
};

const Codec& GetCodec() {
  static const Codec codec;
  return codec;
}

// ---- the walk that checks JSON before JsonCodec decodes it ----

std::string Quote(JsonValue::Reader v) {
  if (v.isString()) return "\"" + Str(v.getString()) + "\"";
  if (v.isNumber()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v.getNumber());
    return buf;
  }
  if (v.isBoolean()) return v.getBoolean() ? "true" : "false";
  if (v.isNull()) return "null";
  if (v.isArray()) return "an array";
  if (v.isObject()) return "an object";
  return "a value";
}

Status Bad(const std::string& path, const std::string& what) {
  return Status::InvalidArgument(path + ": " + what);
}

// Location codes nest by prefix: community 12 digits, township 9 (DOMAIN.md "Locations").
Status CheckLocationCode(std::string_view field, std::string_view code, const std::string& path) {
  const bool digits =
      !code.empty() && code.find_first_not_of("0123456789") == std::string_view::npos;
  if (field == "locationCode") {
    if (code.empty() || (digits && (code.size() == 9 || code.size() == 12))) return Status::Ok();
    return Bad(
        path, "\"" + std::string(code) + "\" is not a 9-digit township or 12-digit community code");
  }
  if (digits && code.size() == 12) return Status::Ok();
  return Bad(path, "\"" + std::string(code) + "\" is not a 12-digit community code");
}

bool IsLocationCodeField(std::string_view name) {
  return name == "code" || name == "communityCode" || name == "locationCode";
}

Status CheckValue(JsonValue::Reader v, capnp::Type type, const std::string& path, int depth);

Status CheckStruct(JsonValue::Reader v, capnp::StructSchema s, const std::string& path, int depth) {
  if (depth > kMaxDepth) return Bad(path, "nested too deeply");
  if (s == capnp::Schema::from<schema::Sealed>()) {
    if (!v.isString()) return Bad(path, "a personal field is a string, not " + Quote(v));
    return Status::Ok();
  }
  if (s == capnp::Schema::from<schema::Time>()) {
    if (!v.isString() || !ParseTimestamp(Str(v.getString())).ok())
      return Bad(path, Quote(v) + " is not a UTC time like \"2026-03-01T10:00:00Z\"");
    return Status::Ok();
  }
  if (s == capnp::Schema::from<schema::Date>()) {
    if (!v.isString() || !ParseDate(Str(v.getString())))
      return Bad(path, Quote(v) + " is not a date like \"2026-03-01\"");
    return Status::Ok();
  }
  if (!v.isObject()) return Bad(path, "expected an object, not " + Quote(v));
  auto members = v.getObject();
  std::set<std::string_view> seen;
  for (auto member : members) {
    const std::string name = Str(member.getName());
    const std::string member_path = path + "." + name;
    if (!seen.insert(std::string_view(member.getName().begin(), member.getName().size())).second)
      return Bad(member_path, "given twice");
    KJ_IF_MAYBE (field, s.findFieldByName(member.getName())) {
      if (member.getValue().isNull()) continue;  // null is absent
      CASELEDGER_RETURN_IF_ERROR(
          CheckValue(member.getValue(), field->getType(), member_path, depth + 1));
      if (IsLocationCodeField(name) && member.getValue().isString())
        CASELEDGER_RETURN_IF_ERROR(
            CheckLocationCode(name, Str(member.getValue().getString()), member_path));
    } else {
      std::string known;
      for (auto f : s.getFields())
        known += (known.empty() ? "" : ", ") + Str(f.getProto().getName());
      return Bad(member_path,
                 "unknown field (" + Str(s.getShortDisplayName()) + " has " + known + ")");
    }
  }
  for (auto field : s.getFields()) {
    if (!IsRequired(field)) continue;
    const auto name = field.getProto().getName();
    bool present = false;
    for (auto member : members) {
      if (member.getName() != name || member.getValue().isNull()) continue;
      auto value = member.getValue();
      present = !(value.isString() && value.getString().size() == 0) &&
                !(value.isArray() && value.getArray().size() == 0);
    }
    if (!present) return Bad(path + "." + Str(name), "required");
  }
  return Status::Ok();
}

Status CheckInteger(JsonValue::Reader v, double lo, double hi, const std::string& path) {
  double n = 0;
  if (v.isNumber()) {
    n = v.getNumber();
  } else if (v.isString()) {  // JsonCodec writes 64-bit integers as strings
    // Only decimal digits, as JsonCodec writes them and reads them back; "1e1", "1.0", "-0"
    // (unsigned) would pass strtod here and then fail in JsonCodec without the field's name.
    char* end = nullptr;
    const std::string s = Str(v.getString());
    const size_t first_digit = !s.empty() && s[0] == '-' && lo < 0 ? 1 : 0;
    if (s.size() == first_digit ||
        s.find_first_not_of("0123456789", first_digit) != std::string::npos)
      return Bad(path, Quote(v) + " is not a number");
    n = std::strtod(s.c_str(), &end);
  } else {
    return Bad(path, "expected a number, not " + Quote(v));
  }
  if (!std::isfinite(n) || n != std::floor(n) || n < lo || n > hi)
    return Bad(path, Quote(v) + " is not a whole number in " +
                         std::to_string(static_cast<long long>(lo)) + ".." +
                         std::to_string(static_cast<unsigned long long>(hi)));
  return Status::Ok();
}

Status CheckValue(JsonValue::Reader v, capnp::Type type, const std::string& path, int depth) {
  switch (type.which()) {
    case capnp::schema::Type::BOOL:
      if (!v.isBoolean()) return Bad(path, "expected true or false, not " + Quote(v));
      return Status::Ok();
    case capnp::schema::Type::INT8:
      return CheckInteger(v, -128, 127, path);
    case capnp::schema::Type::INT16:
      return CheckInteger(v, -32768, 32767, path);
    case capnp::schema::Type::INT32:
      return CheckInteger(v, -2147483648.0, 2147483647.0, path);
    case capnp::schema::Type::INT64:
      return CheckInteger(v, -9007199254740992.0, 9007199254740992.0, path);
    case capnp::schema::Type::UINT8:
      return CheckInteger(v, 0, 255, path);
    case capnp::schema::Type::UINT16:
      return CheckInteger(v, 0, 65535, path);
    case capnp::schema::Type::UINT32:
      return CheckInteger(v, 0, 4294967295.0, path);
    case capnp::schema::Type::UINT64:
      return CheckInteger(v, 0, 9007199254740992.0, path);
    case capnp::schema::Type::FLOAT32:
    case capnp::schema::Type::FLOAT64:
      if (!v.isNumber()) return Bad(path, "expected a number, not " + Quote(v));
      return Status::Ok();
    case capnp::schema::Type::TEXT:
      if (!v.isString()) return Bad(path, "expected a string, not " + Quote(v));
      return Status::Ok();
    case capnp::schema::Type::ENUM: {
      std::string allowed;
      for (auto e : type.asEnum().getEnumerants()) {
        const std::string name = JsonName(e);
        if (v.isString() && Str(v.getString()) == name) return Status::Ok();
        allowed += (allowed.empty() ? "" : ", ") + name;
      }
      return Bad(path, Quote(v) + " is not one of " + allowed);
    }
    case capnp::schema::Type::LIST: {
      if (!v.isArray()) return Bad(path, "expected an array, not " + Quote(v));
      auto element = type.asList().getElementType();
      size_t i = 0;
      for (auto item : v.getArray()) {
        const std::string item_path = path + "[" + std::to_string(i++) + "]";
        if (item.isNull()) return Bad(item_path, "null in a list");
        CASELEDGER_RETURN_IF_ERROR(CheckValue(item, element, item_path, depth + 1));
      }
      return Status::Ok();
    }
    case capnp::schema::Type::STRUCT:
      return CheckStruct(v, type.asStruct(), path, depth);
    default:
      return Bad(path, "a field of a type the catalogue does not use");
  }
}

// ---- payload bytes ----

Status CheckPayloadStruct(capnp::DynamicStruct::Reader r, const std::string& path, int depth) {
  if (depth > kMaxDepth) return Bad(path, "nested too deeply");
  auto s = r.getSchema();
  if (s == capnp::Schema::from<schema::Sealed>()) return Status::Ok();
  for (auto field : s.getFields()) {
    const std::string field_path = path + "." + Str(field.getProto().getName());
    auto type = field.getType();
    if (IsRequired(field)) {
      const bool pointer = type.isText() || type.isData() || type.isList() || type.isStruct();
      if (pointer && !r.has(field)) return Bad(field_path, "required");
      if (type.isText() && r.get(field).as<capnp::Text>().size() == 0)
        return Bad(field_path, "required");
      if (type.isStruct() && type.asStruct() == capnp::Schema::from<schema::Sealed>()) {
        auto sealed = r.get(field).as<schema::Sealed>();
        if (sealed.isClear() && sealed.getClear().size() == 0) return Bad(field_path, "required");
      }
    }
    if (type.isEnum()) {
      if (r.get(field).as<capnp::DynamicEnum>().getEnumerant() == nullptr)
        return Bad(field_path, "an enum value this schema does not know");
    } else if (type.isStruct() && r.has(field)) {
      CASELEDGER_RETURN_IF_ERROR(
          CheckPayloadStruct(r.get(field).as<capnp::DynamicStruct>(), field_path, depth + 1));
    } else if (type.isList() && r.has(field)) {
      auto element = type.asList().getElementType();
      auto list = r.get(field).as<capnp::DynamicList>();
      for (uint i = 0; i < list.size(); ++i) {
        const std::string item_path = field_path + "[" + std::to_string(i) + "]";
        if (element.isEnum() && list[i].as<capnp::DynamicEnum>().getEnumerant() == nullptr)
          return Bad(item_path, "an enum value this schema does not know");
        if (element.isStruct())
          CASELEDGER_RETURN_IF_ERROR(
              CheckPayloadStruct(list[i].as<capnp::DynamicStruct>(), item_path, depth + 1));
      }
    }
  }
  return Status::Ok();
}

// `from` with the null members of its objects left out. To the catalogue a null member is
// an absent one (CheckStruct); JsonCodec would refuse it ("Expected text value").
void CopyWithoutNullMembers(JsonValue::Reader from, JsonValue::Builder to) {
  switch (from.which()) {
    case JsonValue::OBJECT: {
      uint n = 0;
      for (auto member : from.getObject()) n += !member.getValue().isNull();
      auto object = to.initObject(n);
      uint i = 0;
      for (auto member : from.getObject()) {
        if (member.getValue().isNull()) continue;
        object[i].setName(member.getName());
        CopyWithoutNullMembers(member.getValue(), object[i++].initValue());
      }
      return;
    }
    case JsonValue::ARRAY: {
      auto items = from.getArray();
      auto array = to.initArray(items.size());
      for (uint i = 0; i < items.size(); ++i) CopyWithoutNullMembers(items[i], array[i]);
      return;
    }
    case JsonValue::STRING:
      to.setString(from.getString());
      return;
    case JsonValue::NUMBER:
      to.setNumber(from.getNumber());
      return;
    case JsonValue::BOOLEAN:
      to.setBoolean(from.getBoolean());
      return;
    case JsonValue::CALL:
      to.setCall(from.getCall());
      return;
    default:
      to.setNull();
      return;
  }
}

Result<std::string> PayloadFromJsonValue(const EventType& type, JsonValue::Reader data,
                                         const std::string& path) {
  CASELEDGER_RETURN_IF_ERROR(CheckStruct(data, type.schema, path, 0));  // also bounds the depth
  capnp::MallocMessageBuilder without_nulls;
  CopyWithoutNullMembers(data, without_nulls.initRoot<JsonValue>());
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::DynamicStruct>(type.schema);
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 GetCodec().json.decode(without_nulls.getRoot<JsonValue>().asReader(), root);
               })) {
    return Bad(path, Reason(*e));
  }
  return CanonicalPayload(root.asReader());
}

// The four hex digits at `at`, or nothing.
std::optional<uint32_t> Hex4(std::string_view text, size_t at) {
  if (at + 4 > text.size()) return std::nullopt;
  uint32_t unit = 0;
  for (size_t i = at; i < at + 4; ++i) {
    const char c = text[i];
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) return std::nullopt;
    unit = unit * 16 + static_cast<uint32_t>(digit);
  }
  return unit;
}

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Cap'n Proto 0.9's JSON parser (Debian 12) reads the hex letters of a \uXXXX escape as 0-5
// instead of 10-15 ("\u00e9" -> "I", "\u001b" -> 0x11; capnproto/capnproto#1552, fixed
// upstream in 2022), so `text` is handed to it with the \u escapes it would misread already
// decoded: to their UTF-8 bytes (a surrogate pair to one code point), \u0022 and \u005c to
// \" and \\. The parser takes raw control characters inside strings, except NUL: control
// characters whose escape has no hex letter (\u0000-\u0009, \u0010-\u0019) stay escaped.
// A lone surrogate is an error.
Result<std::string> DecodeUnicodeEscapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') in_string = !in_string;
    if (!in_string || c != '\\' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] != 'u' || !Hex4(text, i + 2)) {  // another escape: the parser reads it
      out += c;
      out += text[++i];
      continue;
    }
    uint32_t cp = *Hex4(text, i + 2);
    i += 5;
    if (cp >= 0xD800 && cp <= 0xDFFF) {
      const auto low = text.substr(i + 1, 2) == "\\u" ? Hex4(text, i + 3) : std::nullopt;
      if (cp > 0xDBFF || !low || *low < 0xDC00 || *low > 0xDFFF)
        return Status::InvalidArgument("\\u" + std::string(text.substr(i - 3, 4)) +
                                       " is a lone UTF-16 surrogate");
      cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
      i += 6;
    }
    if (cp == '"' || cp == '\\') {
      out += '\\';
    } else if (cp < 0x20 && (cp & 15) < 10) {  // no hex letter: the parser reads it right
      out += "\\u00";
      out += static_cast<char>('0' + (cp >> 4));
      out += static_cast<char>('0' + (cp & 15));
      continue;
    }
    AppendUtf8(out, cp);
  }
  return out;
}

Status ParseJson(std::string_view raw, JsonValue::Builder out, const std::string& what) {
  auto decoded = DecodeUnicodeEscapes(raw);
  if (!decoded.ok())
    return Status::InvalidArgument(what + " is not valid JSON: " + decoded.status().message());
  const std::string& text = *decoded;
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 GetCodec().json.decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()), out);
               })) {
    return Status::InvalidArgument(what + " is not valid JSON: " + Reason(*e));
  }
  return Status::Ok();
}

Result<std::string> StringMember(JsonValue::Reader v, const std::string& name) {
  if (!v.isString()) return Bad(name, "expected a string, not " + Quote(v));
  return Str(v.getString());
}

Result<EventId> IdMember(JsonValue::Reader v, const std::string& name) {
  CASELEDGER_ASSIGN_OR_RETURN(auto hex, StringMember(v, name));
  auto id = EventId::FromHex(hex);
  if (!id.ok()) return Bad(name, Quote(v) + " is not 32 hexadecimal digits");
  return *id;
}

Result<Actor> ActorMember(JsonValue::Reader v) {
  if (!v.isObject())
    return Bad("actor", "expected an object {\"user\",\"role\",\"agency\"}, not " + Quote(v));
  Actor actor;
  for (auto member : v.getObject()) {
    const std::string name = Str(member.getName());
    std::string* target = name == "user"     ? &actor.user
                          : name == "role"   ? &actor.role
                          : name == "agency" ? &actor.agency
                                             : nullptr;
    if (!target) return Bad("actor." + name, "unknown field (actor has user, role, agency)");
    if (member.getValue().isNull()) continue;
    CASELEDGER_ASSIGN_OR_RETURN(*target, StringMember(member.getValue(), "actor." + name));
  }
  return actor;
}

void SetString(JsonValue::Builder v, std::string_view s) {
  v.setString(capnp::Text::Reader(s.data(), s.size()));
}

}  // namespace

Result<std::string> PayloadFromJson(const EventType& type, std::string_view json) {
  capnp::MallocMessageBuilder message;
  auto value = message.initRoot<JsonValue>();
  CASELEDGER_RETURN_IF_ERROR(ParseJson(json, value, "data"));
  return PayloadFromJsonValue(type, value.asReader(), "data");
}

Status ValidatePayload(const EventType& type, std::string_view payload) {
  if (payload.size() % 8 != 0)
    return Status::InvalidArgument("the " + type.name + " payload is not a whole number of words");
  PayloadMessage reader(payload);
  Status status;
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 status = CheckPayloadStruct(reader.Root(type.schema, kMaxDepth * 2), "data", 0);
               })) {
    return Status::InvalidArgument("the payload is not a " + type.name + ": " + Reason(*e));
  }
  return status;
}

Result<std::string> PayloadToJson(const EventType& type, std::string_view payload) {
  if (payload.size() % 8 != 0)
    return Status::Corruption("the " + type.name + " payload is not a whole number of words");
  PayloadMessage reader(payload);
  std::string out;
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 out = Str(kj::StringPtr(
                     GetCodec().json.encode(reader.Root(type.schema, kMaxDepth * 2))));
               })) {
    return Status::Corruption("the payload is not a " + type.name + ": " + Reason(*e));
  }
  return out;
}

std::string CanonicalPayload(capnp::DynamicStruct::Reader root) {
  auto words = root.as<capnp::AnyStruct>().canonicalize();
  // canonicalize() gives the one segment's words; a payload is a whole message, so it gets
  // the single-segment table in front: u32 (segment count - 1) = 0, u32 size in words.
  const uint32_t table[2] = {0, static_cast<uint32_t>(words.size())};
  std::string out(reinterpret_cast<const char*>(table), sizeof table);
  auto bytes = words.asBytes();
  out.append(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
  return out;
}

bool CarriesPersonalData(const EventType& type, std::string_view payload) {
  if (!type.has_personal_fields || payload.size() % 8 != 0) return false;
  const auto sealed = capnp::Schema::from<schema::Sealed>();
  auto is_sealed = [&](capnp::Type t) { return t.isStruct() && t.asStruct() == sealed; };
  PayloadMessage reader(payload);
  bool found = false;
  std::function<void(capnp::DynamicStruct::Reader, int)> walk = [&](capnp::DynamicStruct::Reader s,
                                                                    int depth) {
    if (depth > kMaxDepth) return;
    for (auto field : s.getSchema().getFields()) {
      auto t = field.getType();
      if (found || !(t.isStruct() || t.isList()) || !s.has(field)) continue;
      if (is_sealed(t) || (t.isList() && is_sealed(t.asList().getElementType()))) {
        found = true;
      } else if (t.isStruct()) {
        walk(s.get(field).as<capnp::DynamicStruct>(), depth + 1);
      } else if (t.asList().getElementType().isStruct()) {
        for (auto item : s.get(field).as<capnp::DynamicList>())
          walk(item.as<capnp::DynamicStruct>(), depth + 1);
      }
    }
  };
  kj::runCatchingExceptions([&] { walk(reader.Root(type.schema, kMaxDepth * 2), 0); });
  return found;
}

Result<EventLine> ParseEventLine(std::string_view line) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<JsonValue>();
  CASELEDGER_RETURN_IF_ERROR(ParseJson(line, root, "the line"));
  auto value = root.asReader();
  if (!value.isObject()) return Status::InvalidArgument("the line is not a JSON object");
  EventLine out;
  bool has_stream = false, has_id = false;
  const EventType* type = nullptr;
  std::optional<JsonValue::Reader> data;
  std::set<std::string> seen;
  for (auto member : value.getObject()) {
    const std::string name = Str(member.getName());
    auto v = member.getValue();
    if (!seen.insert(name).second) return Bad(name, "given twice");
    if (name == "stream") {
      CASELEDGER_ASSIGN_OR_RETURN(out.stream, StringMember(v, name));
      Status s = ValidateStreamId(out.stream);
      if (!s.ok()) return Bad(name, s.message());
      has_stream = true;
    } else if (name == "type") {
      CASELEDGER_ASSIGN_OR_RETURN(out.event.type, StringMember(v, name));
      auto t = LookupEventType(out.event.type);
      if (!t.ok()) return Bad(name, t.status().message());
      type = *t;
    } else if (name == "expectedVersion") {
      if (v.isNumber()) {
        CASELEDGER_RETURN_IF_ERROR(CheckInteger(v, 0, 9007199254740992.0, name));
        out.expected_version = ExpectedVersion::Exact(static_cast<StreamVersion>(v.getNumber()));
      } else {
        CASELEDGER_ASSIGN_OR_RETURN(auto text, StringMember(v, name));
        auto expected = ExpectedVersion::Parse(text);
        if (!expected.ok())
          return Bad(
              name,
              Quote(v) + " is not \"any\", \"no_stream\", \"stream_exists\" or a version >= 0");
        out.expected_version = *expected;
      }
    } else if (name == "eventId") {
      CASELEDGER_ASSIGN_OR_RETURN(out.event.id, IdMember(v, name));
      if (out.event.id.IsZero()) return Bad(name, "must not be all zeros");
      has_id = true;
    } else if (name == "occurredAt") {
      CASELEDGER_ASSIGN_OR_RETURN(auto text, StringMember(v, name));
      auto t = ParseTimestamp(text);
      if (!t.ok()) return Bad(name, Quote(v) + " is not a UTC time like \"2026-03-01T10:00:00Z\"");
      if (ToMicros(*t) < 0)
        return Bad(name, Quote(v) + " is before 1970-01-01");  // as ValidateProposedEvent
      out.event.occurred_at = *t;
    } else if (name == "actor") {
      CASELEDGER_ASSIGN_OR_RETURN(out.event.actor, ActorMember(v));
    } else if (name == "schemaVersion") {
      CASELEDGER_RETURN_IF_ERROR(CheckInteger(v, 1, 1, name));
    } else if (name == "correlationId") {
      CASELEDGER_ASSIGN_OR_RETURN(out.event.correlation_id, IdMember(v, name));
    } else if (name == "causationId") {
      CASELEDGER_ASSIGN_OR_RETURN(out.event.causation_id, IdMember(v, name));
    } else if (name == "corrects") {
      CASELEDGER_RETURN_IF_ERROR(CheckInteger(v, 1, 9007199254740992.0, name));
      // CheckInteger also accepts the decimal string form; getNumber() of a string is invalid.
      out.event.corrects = v.isNumber() ? static_cast<Position>(v.getNumber())
                                        : std::strtoull(Str(v.getString()).c_str(), nullptr, 10);
    } else if (name == "correctionReason") {
      CASELEDGER_ASSIGN_OR_RETURN(out.event.correction_reason, StringMember(v, name));
    } else if (name == "data") {
      data = v;
    } else {
      return Bad(
          name,
          "unknown field (a line has stream, type, expectedVersion, eventId, occurredAt, actor, "
          "schemaVersion, correlationId, causationId, corrects, correctionReason, data)");
    }
  }
  if (!has_stream) return Bad("stream", "required");
  if (!type) return Bad("type", "required");
  if (!has_id)
    return Bad("eventId",
               "required (32 hex digits; it makes a re-run of the same line idempotent)");
  if (!data) return Bad("data", "required");
  if (out.event.corrects != 0 && out.event.correction_reason.empty())
    return Bad("correctionReason", "required with corrects");
  if (out.event.corrects == 0 && !out.event.correction_reason.empty())
    return Bad("corrects", "required with correctionReason");
  CASELEDGER_ASSIGN_OR_RETURN(out.event.payload, PayloadFromJsonValue(*type, *data, "data"));
  return out;
}

Result<std::string> RecordedEventToJson(const RecordedEvent& r) {
  CASELEDGER_ASSIGN_OR_RETURN(const EventType* type, LookupEventType(r.event.type));
  const ProposedEvent& e = r.event;
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<JsonValue>();
  const bool has_actor = !(e.actor == Actor{});
  const size_t members = 8 + (ToMicros(e.occurred_at) != 0) + has_actor +
                         !e.correlation_id.IsZero() + !e.causation_id.IsZero() +
                         2 * (e.corrects != 0) + 1;
  auto object = root.initObject(static_cast<uint>(members));
  uint i = 0;
  auto add = [&](const char* name) {
    object[i].setName(name);
    return object[i++].initValue();
  };
  add("position").setNumber(static_cast<double>(r.position));
  SetString(add("stream"), r.stream);
  add("streamVersion").setNumber(static_cast<double>(r.stream_version));
  SetString(add("type"), e.type);
  SetString(add("eventId"), e.id.ToHex());
  add("schemaVersion").setNumber(e.schema_version);
  SetString(add("recordedAt"), FormatTimestamp(r.recorded_at));
  SetString(add("recordedBy"), r.recorded_by);
  if (ToMicros(e.occurred_at) != 0) SetString(add("occurredAt"), FormatTimestamp(e.occurred_at));
  if (has_actor) {
    auto actor = add("actor").initObject(3);
    actor[0].setName("user");
    SetString(actor[0].initValue(), e.actor.user);
    actor[1].setName("role");
    SetString(actor[1].initValue(), e.actor.role);
    actor[2].setName("agency");
    SetString(actor[2].initValue(), e.actor.agency);
  }
  if (!e.correlation_id.IsZero()) SetString(add("correlationId"), e.correlation_id.ToHex());
  if (!e.causation_id.IsZero()) SetString(add("causationId"), e.causation_id.ToHex());
  if (e.corrects != 0) {
    add("corrects").setNumber(static_cast<double>(e.corrects));
    SetString(add("correctionReason"), e.correction_reason);
  }
  auto data = add("data");
  if (e.payload.size() % 8 != 0)
    return Status::Corruption("the payload of position " + std::to_string(r.position) +
                              " is not a whole number of words");
  PayloadMessage reader(e.payload);
  std::string out;
  KJ_IF_MAYBE (ex, kj::runCatchingExceptions([&] {
                 const auto& codec = GetCodec().json;
                 codec.encode(capnp::DynamicValue::Reader(reader.Root(type->schema, kMaxDepth * 2)),
                              type->schema, data);
                 out = Str(kj::StringPtr(codec.encodeRaw(root.asReader())));
               })) {
    return Status::Corruption("the payload of position " + std::to_string(r.position) +
                              " is not a " + type->name + ": " + Reason(*ex));
  }
  return out;
}

}  // namespace v1
}  // namespace caseledger
