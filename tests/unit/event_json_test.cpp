// The JSON form of case events (caseledger/case_events.h): the catalogue is DOMAIN.md's,
// every event type survives JSON -> payload -> JSON unchanged, an NDJSON line parses into
// its envelope and payload, every kind of bad line is refused with a message that names
// the field, and no bytes, however damaged, make ValidatePayload or PayloadToJson crash.
#include "caseledger/case_events.h"
#include "event_samples.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <gtest/gtest.h>
#include <kj/exception.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "schema/case_events.capnp.h"

namespace caseledger {
namespace {

using capnp::JsonValue;

// ---- the catalogue as DOMAIN.md lists it ----

const std::vector<std::string> kDomainEventTypes = {
    // Case
    "CaseOpened", "ConsentRecorded", "ProtectionConcernsRecorded", "RiskAssessed",
    "AssessmentRequested", "AssessmentCompleted", "CasePlanSet", "ApprovalRequested",
    "ApprovalDecided", "CaseAssigned", "ReferralMade", "ReferralAccepted", "ReferralRejected",
    "ReferralCompleted", "ReferralRevoked", "ServicePlanned", "ServiceDelivered",
    "FollowUpScheduled", "FollowUpCompleted", "TransferInitiated", "TransferAccepted",
    "TransferRejected", "TransferRevoked", "CaregiverSupportProvided", "NoteAdded", "CaseClosed",
    "CaseReopened", "ErasureRequested", "ErasureCompleted",
    // Children's places, communities, workers, the ledger itself
    "CommunityRegistered", "SpaceOpened", "SpaceClosed", "ChildEnrolled", "AttendanceRecorded",
    "ActivityHeld", "WorkerRegistered", "WorkerRoleChanged", "CaseHistoryRead", "LedgerExported",
    "EntryVoided"};

// The types with at least one field of type Sealed (a child's personal data).
const std::set<std::string> kTypesWithPersonalFields = {
    "CaseOpened",        "RiskAssessed",      "AssessmentCompleted", "ApprovalDecided",
    "CaseAssigned",      "ReferralRejected",  "ReferralCompleted",   "ReferralRevoked",
    "FollowUpScheduled", "FollowUpCompleted", "TransferAccepted",    "TransferRejected",
    "TransferRevoked",   "NoteAdded",         "CaseReopened"};

const std::map<std::string, std::string>& kSamples = testing::EventSamples();

// ---- helpers ----

// A kj::String, kj::StringPtr or capnp::Text as a std::string.
template <typename Text>
std::string Str(const Text& s) {
  return std::string(s.begin(), s.end());
}

// JSON text parsed into a capnp::JsonValue the test owns; a parse failure fails the test.
// This is Cap'n Proto's own parser, which misreads \u escapes with hex letters (the codec
// works around it; see UnicodeEscapesAreReadAsTheCharactersTheyName): the text given here
// has none.
class Json {
 public:
  explicit Json(std::string_view text) {
    auto root = message_.initRoot<JsonValue>();
    KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                   capnp::JsonCodec().decodeRaw(kj::ArrayPtr<const char>(text.data(), text.size()),
                                                root);
                 })) {
      ADD_FAILURE() << "not JSON (" << e->getDescription().cStr() << "): " << text;
    }
  }
  JsonValue::Reader value() { return message_.getRoot<JsonValue>().asReader(); }
  JsonValue::Builder builder() { return message_.getRoot<JsonValue>(); }
  std::string Text() { return Str(capnp::JsonCodec().encodeRaw(value())); }

 private:
  capnp::MallocMessageBuilder message_;
};

std::optional<JsonValue::Reader> Member(JsonValue::Reader object, std::string_view name) {
  if (!object.isObject()) return std::nullopt;
  for (auto member : object.getObject())
    if (Str(member.getName()) == name) return member.getValue();
  return std::nullopt;
}

std::vector<std::string> MemberNames(JsonValue::Reader object) {
  std::vector<std::string> names;
  if (object.isObject())
    for (auto member : object.getObject()) names.push_back(Str(member.getName()));
  std::sort(names.begin(), names.end());
  return names;
}

bool IsSixtyFourBitInteger(const std::string& path) {
  // Cap'n Proto's JsonCodec writes (U)Int64 values as strings to keep their precision; the
  // codec reads both forms. These are the catalogue's UInt64 fields.
  return path == "data.fromPosition" || path == "data.toPosition" || path == "data.position";
}

// Same JSON value: same type, same value, objects with the same members in any order.
// A 64-bit integer written as a number may come back as its decimal string.
::testing::AssertionResult SameJson(JsonValue::Reader want, JsonValue::Reader got,
                                    const std::string& path) {
  auto fail = [&] {
    return ::testing::AssertionFailure()
           << path << ": wrote " << Str(capnp::JsonCodec().encodeRaw(want)) << ", got "
           << Str(capnp::JsonCodec().encodeRaw(got));
  };
  if (want.isNumber() && got.isString() && IsSixtyFourBitInteger(path))
    return std::to_string(static_cast<uint64_t>(want.getNumber())) == Str(got.getString())
               ? ::testing::AssertionSuccess()
               : fail();
  if (want.which() != got.which()) return fail();
  switch (want.which()) {
    case JsonValue::NULL_:
      return ::testing::AssertionSuccess();
    case JsonValue::BOOLEAN:
      return want.getBoolean() == got.getBoolean() ? ::testing::AssertionSuccess() : fail();
    case JsonValue::NUMBER:
      return want.getNumber() == got.getNumber() ? ::testing::AssertionSuccess() : fail();
    case JsonValue::STRING:
      return want.getString() == got.getString() ? ::testing::AssertionSuccess() : fail();
    case JsonValue::ARRAY: {
      if (want.getArray().size() != got.getArray().size()) return fail();
      for (uint i = 0; i < want.getArray().size(); ++i) {
        auto same =
            SameJson(want.getArray()[i], got.getArray()[i], path + "[" + std::to_string(i) + "]");
        if (!same) return same;
      }
      return ::testing::AssertionSuccess();
    }
    case JsonValue::OBJECT: {
      if (MemberNames(want) != MemberNames(got)) return fail();
      for (auto member : want.getObject()) {
        auto same = SameJson(member.getValue(), *Member(got, Str(member.getName())),
                             path + "." + Str(member.getName()));
        if (!same) return same;
      }
      return ::testing::AssertionSuccess();
    }
    default:
      return fail();
  }
}

const EventType& TypeNamed(std::string_view name) {
  const EventType* type = FindEventType(name);
  if (type == nullptr) {
    ADD_FAILURE() << "the catalogue has no " << name;
    return EventCatalogue().front();
  }
  return *type;
}

// The payload of the sample of `type`.
std::string SamplePayload(const std::string& type) {
  auto payload = PayloadFromJson(TypeNamed(type), kSamples.at(type));
  if (!payload.ok()) {
    ADD_FAILURE() << type << ": " << payload.status().ToString();
    return {};
  }
  return *payload;
}

// Refused as kInvalidArgument with a message that starts with "<path>: " and contains
// every fragment (e.g. the offending value).
::testing::AssertionResult RefusedAt(const Status& status, const std::string& path,
                                     std::initializer_list<std::string_view> fragments = {}) {
  if (status.ok()) return ::testing::AssertionFailure() << "accepted";
  if (status.code() != StatusCode::kInvalidArgument)
    return ::testing::AssertionFailure() << "refused as " << status.ToString();
  if (status.message().rfind(path + ": ", 0) != 0)
    return ::testing::AssertionFailure()
           << "message \"" << status.message() << "\" does not begin with \"" << path << ": \"";
  for (std::string_view fragment : fragments)
    if (status.message().find(fragment) == std::string::npos)
      return ::testing::AssertionFailure()
             << "message \"" << status.message() << "\" does not contain \"" << fragment << "\"";
  return ::testing::AssertionSuccess() << status.message();
}

// ---- building NDJSON lines ----

// An object's members as (name, raw JSON value), in order.
using Members = std::vector<std::pair<std::string, std::string>>;

std::string Object(const Members& members) {
  std::string out = "{";
  for (const auto& [name, value] : members)
    out += (out.size() > 1 ? "," : "") + ("\"" + name + "\":") + value;
  return out + "}";
}

// `members` with `name` set to `value` (replaced in place, or appended).
Members With(Members members, const std::string& name, const std::string& value) {
  for (auto& member : members)
    if (member.first == name) {
      member.second = value;
      return members;
    }
  members.emplace_back(name, value);
  return members;
}

Members Without(Members members, const std::string& name) {
  std::erase_if(members, [&](const auto& member) { return member.first == name; });
  return members;
}

// Every field of a CaseOpened, as its sample.
Members CaseOpenedData() {
  return {{"childRef", R"("child-2026-00042")"},
          {"name", R"("Li Xiaoyu")"},
          {"sex", R"("female")"},
          {"birthDate", R"("2015-04-02")"},
          {"estimatedAgeYears", "10"},
          {"ageBand", R"("6-11")"},
          {"communityCode", R"("130111200201")"},
          {"vulnerabilities", R"(["left_behind","out_of_school"])"},
          {"identificationChannel", R"("home_visit")"},
          {"owner", R"("w-17")"},
          {"agency", R"("county-civil-affairs")"},
          {"address", R"("Group 3, Xinzhuang Village")"}};
}

// A valid line of the required envelope fields around `data` of `type`.
Members LineOf(const std::string& type, const std::string& data) {
  return {{"stream", R"("case-00042")"},
          {"type", "\"" + type + "\""},
          {"eventId", R"("0123456789abcdef0123456789abcdef")"},
          {"data", data}};
}

Members CaseOpenedLine() { return LineOf("CaseOpened", Object(CaseOpenedData())); }

Status ParseStatus(const Members& line) { return ParseEventLine(Object(line)).status(); }
Status ParseStatus(std::string_view line) { return ParseEventLine(line).status(); }

// A CaseOpened line whose data has `field` set to `value`.
Status CaseOpenedWith(const std::string& field, const std::string& value) {
  return ParseStatus(LineOf("CaseOpened", Object(With(CaseOpenedData(), field, value))));
}

// A line of `type` whose sample data has `field` set to `value` (raw JSON).
Status SampleWith(const std::string& type, const std::string& field, const std::string& value) {
  Json data(kSamples.at(type));
  bool found = false;
  for (auto member : data.builder().getObject())
    if (Str(member.getName()) == field) {
      Json copy(value);
      member.setValue(copy.value());
      found = true;
    }
  if (!found) ADD_FAILURE() << "the " << type << " sample has no " << field;
  return ParseStatus(LineOf(type, data.Text()));
}

// A message built in a test, as a payload: canonical, as the codec writes payloads.
std::string ToBytes(capnp::MessageBuilder& message, capnp::StructSchema schema) {
  return CanonicalPayload(message.getRoot<capnp::DynamicStruct>(schema).asReader());
}

// ---- the catalogue ----

TEST(EventJsonCatalogue, HoldsExactlyTheFortyEventTypesOfDomainMdInSchemaOrder) {
  std::vector<std::string> names;
  for (const EventType& type : EventCatalogue()) names.push_back(type.name);
  EXPECT_EQ(names, kDomainEventTypes);
  ASSERT_EQ(kDomainEventTypes.size(), 40u);
  for (const std::string& name : kDomainEventTypes) {
    const EventType* type = FindEventType(name);
    ASSERT_NE(type, nullptr) << name;
    EXPECT_EQ(type->name, name);
    EXPECT_EQ(Str(type->schema.getShortDisplayName()), name);
    auto looked_up = LookupEventType(name);
    ASSERT_TRUE(looked_up.ok()) << looked_up.status().ToString();
    EXPECT_EQ(*looked_up, type);
  }
}

TEST(EventJsonCatalogue, EveryStructOfTheSchemaFileCarriesADistinctExplicitId) {
  std::ifstream file(CASELEDGER_SCHEMA_FILE);
  ASSERT_TRUE(file) << CASELEDGER_SCHEMA_FILE;
  std::stringstream text;
  text << file.rdbuf();
  const std::string schema_text = text.str();

  // Every `struct Name` declaration is followed by its @0x id.
  const std::regex declaration(R"((^|\n)struct (\w+)( @0x([0-9a-f]{16}))?)");
  std::map<std::string, uint64_t> ids;
  for (std::sregex_iterator it(schema_text.begin(), schema_text.end(), declaration), end; it != end;
       ++it) {
    const std::string name = (*it)[2];
    ASSERT_TRUE((*it)[3].matched) << "struct " << name << " has no explicit id";
    ids[name] = std::stoull((*it)[4], nullptr, 16);
  }
  std::set<uint64_t> distinct;
  for (const auto& [name, id] : ids) EXPECT_TRUE(distinct.insert(id).second) << name;

  for (const EventType& type : EventCatalogue()) {
    ASSERT_TRUE(ids.count(type.name)) << type.name << " is not declared in the schema file";
    EXPECT_EQ(type.schema.getProto().getId(), ids[type.name]) << type.name;
  }
}

TEST(EventJsonCatalogue, FindEventTypeOfAnUnknownNameIsNull) {
  EXPECT_EQ(FindEventType("CaseOpend"), nullptr);
  EXPECT_EQ(FindEventType("caseOpened"), nullptr);  // the struct name, not the union member
  EXPECT_EQ(FindEventType(""), nullptr);
  EXPECT_EQ(FindEventType("CaseEvent"), nullptr);  // the union itself is no event type
  EXPECT_EQ(FindEventType("Sealed"), nullptr);
  Status unknown = LookupEventType("CaseOpend").status();
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("unknown event type \"CaseOpend\""), std::string::npos)
      << unknown.message();
}

TEST(EventJsonCatalogue, HasPersonalFieldsExactlyForTheTypesWithASealedField) {
  for (const EventType& type : EventCatalogue())
    EXPECT_EQ(type.has_personal_fields, kTypesWithPersonalFields.count(type.name) == 1)
        << type.name;
  // And the list above agrees with the schema: a Sealed field directly in the struct.
  const auto sealed = capnp::Schema::from<schema::Sealed>();
  for (const EventType& type : EventCatalogue()) {
    bool has_sealed = false;
    for (auto field : type.schema.getFields())
      has_sealed |= field.getType().isStruct() && field.getType().asStruct() == sealed;
    EXPECT_EQ(has_sealed, type.has_personal_fields) << type.name;
  }
}

// ---- round trips ----

TEST(EventJsonRoundTrip, EveryCatalogueTypeHasASample) {
  for (const EventType& type : EventCatalogue())
    EXPECT_TRUE(kSamples.count(type.name)) << type.name << " has no round-trip sample here";
  EXPECT_EQ(kSamples.size(), EventCatalogue().size());
}

TEST(EventJsonRoundTrip, EverySampleSetsEveryFieldOfItsType) {
  for (const auto& [name, sample] : kSamples) {
    Json json(sample);
    std::vector<std::string> fields;
    for (auto field : TypeNamed(name).schema.getFields())
      fields.push_back(Str(field.getProto().getName()));
    std::sort(fields.begin(), fields.end());
    EXPECT_EQ(MemberNames(json.value()), fields) << name;
  }
}

TEST(EventJsonRoundTrip, EveryTypeSurvivesJsonToPayloadToJsonUnchanged) {
  for (const auto& [name, sample] : kSamples) {
    SCOPED_TRACE(name);
    const EventType& type = TypeNamed(name);
    auto payload = PayloadFromJson(type, sample);
    ASSERT_TRUE(payload.ok()) << payload.status().ToString();
    EXPECT_EQ(payload->size() % 8, 0u);
    EXPECT_TRUE(ValidatePayload(type, *payload).ok());

    auto json = PayloadToJson(type, *payload);
    ASSERT_TRUE(json.ok()) << json.status().ToString();
    Json written(sample), read(*json);
    EXPECT_TRUE(SameJson(written.value(), read.value(), "data"));

    auto again = PayloadFromJson(type, *json);
    ASSERT_TRUE(again.ok()) << again.status().ToString() << "\n" << *json;
    EXPECT_EQ(*again, *payload) << "the payload of the JSON of a payload is not the payload";
  }
}

TEST(EventJsonRoundTrip, EveryEnumValueOfDomainMdIsReadAndWrittenUnderItsSnakeCaseName) {
  struct EnumField {
    std::string type, field;
    std::vector<std::string> values;
  };
  const std::vector<EnumField> enums = {
      {"CaseOpened", "sex", {"female", "male", "unknown"}},
      {"CaseOpened", "ageBand", {"0-5", "6-11", "12-17", "18+"}},
      {"CaseOpened",
       "vulnerabilities",
       {"left_behind", "disability", "no_household_registration", "out_of_school",
        "missing_guardianship", "other"}},
      {"CaseOpened",
       "identificationChannel",
       {"home_visit", "space", "school", "hotline", "police", "other"}},
      {"ConsentRecorded", "subject", {"child", "caregiver"}},
      {"RiskAssessed", "level", {"low", "medium", "high"}},
      {"ApprovalRequested", "kind", {"assessment", "case_plan", "closure"}},
      {"ApprovalDecided", "decision", {"approved", "rejected"}},
      {"ReferralMade",
       "serviceType",
       {"social_assistance", "education", "health", "psychosocial", "legal", "targeted_protection",
        "caregiver_support", "other"}},
      {"ServicePlanned", "responseTimeframe", {"1h", "3h", "1d", "3d", "other"}},
      {"FollowUpScheduled",
       "kind",
       {"home_visit", "after_reunification", "for_service", "for_assessment"}},
      {"CaregiverSupportProvided",
       "kind",
       {"parenting", "cash_transfer_link", "counselling", "other"}},
      {"CaseClosed",
       "reason",
       {"formal_closing", "transferred", "repatriated", "not_seen_during_verification",
        "death_of_child", "aged_out", "other"}},
      {"CommunityRegistered", "setting", {"urban", "rural"}},
      {"SpaceOpened",
       "services",
       {"recreation", "non_formal_education", "psychosocial_support", "referral"}},
      {"WorkerRegistered",
       "role",
       {"children_director", "supervisor", "caseworker", "service_provider", "auditor", "admin"}},
  };
  for (const EnumField& e : enums) {
    const EventType& type = TypeNamed(e.type);
    KJ_IF_MAYBE (field, type.schema.findFieldByName(e.field)) {
      auto field_type = field->getType();
      const bool list = field_type.isList();
      auto enum_type = list ? field_type.asList().getElementType() : field_type;
      ASSERT_TRUE(enum_type.isEnum()) << e.type << "." << e.field;
      EXPECT_EQ(enum_type.asEnum().getEnumerants().size(), e.values.size())
          << e.type << "." << e.field << ": DOMAIN.md and the schema list different values";
    } else {
      ADD_FAILURE() << e.type << " has no field " << e.field;
      continue;
    }
    for (const std::string& value : e.values) {
      SCOPED_TRACE(e.type + "." + e.field + " = " + value);
      const bool list = e.field == "vulnerabilities" || e.field == "services";
      const std::string json_value = list ? "[\"" + value + "\"]" : "\"" + value + "\"";
      Json data(kSamples.at(e.type));
      for (auto member : data.builder().getObject())
        if (Str(member.getName()) == e.field) {
          Json replacement(json_value);
          member.setValue(replacement.value());
        }
      auto payload = PayloadFromJson(type, data.Text());
      ASSERT_TRUE(payload.ok()) << payload.status().ToString();
      auto json = PayloadToJson(type, *payload);
      ASSERT_TRUE(json.ok()) << json.status().ToString();
      Json read(*json), want(json_value);
      auto got = Member(read.value(), e.field);
      ASSERT_TRUE(got.has_value()) << *json;
      EXPECT_TRUE(SameJson(want.value(), *got, "data." + e.field));
    }
  }
}

TEST(EventJsonRoundTrip, OptionalFieldsMayBeLeftOutOrNull) {
  const EventType& type = TypeNamed("CaseOpened");
  const std::string minimal =
      R"({"childRef":"child-1","name":"Li Xiaoyu","sex":"male","ageBand":"12-17",
          "communityCode":"130111200201","identificationChannel":"school","agency":"a-1"})";
  auto payload = PayloadFromJson(type, minimal);
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_TRUE(ValidatePayload(type, *payload).ok());

  auto with_nulls = PayloadFromJson(type, R"({"childRef":"child-1","name":"Li Xiaoyu","sex":"male",
          "ageBand":"12-17","communityCode":"130111200201","identificationChannel":"school",
          "agency":"a-1","birthDate":null,"estimatedAgeYears":null,"owner":null,
          "vulnerabilities":null,"address":null})");
  ASSERT_TRUE(with_nulls.ok()) << with_nulls.status().ToString();
  EXPECT_EQ(*with_nulls, *payload) << "null is the same as absent";

  auto json = PayloadToJson(type, *payload);
  ASSERT_TRUE(json.ok());
  Json read(*json);
  for (const char* absent : {"birthDate", "owner", "vulnerabilities", "address"})
    EXPECT_FALSE(Member(read.value(), absent).has_value()) << absent << " in " << *json;
  EXPECT_EQ(Str(Member(read.value(), "childRef")->getString()), "child-1");
}

// The text of `field` after PayloadFromJson(`data`) and PayloadToJson, as JSON reads it.
std::string TextAfterRoundTrip(const std::string& type, const std::string& data,
                               const std::string& field) {
  auto payload = PayloadFromJson(TypeNamed(type), data);
  if (!payload.ok()) return "refused: " + payload.status().ToString();
  auto json = PayloadToJson(TypeNamed(type), *payload);
  if (!json.ok()) return "not written: " + json.status().ToString();
  auto again = PayloadFromJson(TypeNamed(type), *json);
  if (!again.ok() || *again != *payload) return "not read back: " + *json;
  Json read(*json);
  auto value = Member(read.value(), field);
  return value && value->isString() ? Str(value->getString()) : "absent: " + *json;
}

TEST(EventJsonRoundTrip, UnicodeEscapesAreReadAsTheCharactersTheyName) {
  // What Python's json.dumps writes by default (ensure_ascii): every non-ASCII character
  // as \uXXXX, characters outside the BMP as surrogate pairs.
  EXPECT_EQ(TextAfterRoundTrip("NoteAdded", R"({"text":"\u674e\u5c0f\u96e8"})", "text"), "李小雨");
  EXPECT_EQ(TextAfterRoundTrip("NoteAdded", R"({"text":"Caf\u00e9 \u00C9t\u00e9"})", "text"),
            "Café Été");
  EXPECT_EQ(TextAfterRoundTrip("NoteAdded", R"({"text":"\ud83d\ude00"})", "text"),
            "\xf0\x9f\x98\x80");
  EXPECT_EQ(TextAfterRoundTrip("NoteAdded", R"({"text":"\u0022quoted\u0022 \u005c"})", "text"),
            "\"quoted\" \\");
  EXPECT_EQ(TextAfterRoundTrip("NoteAdded", R"({"text":"C:\\users\\u00e9"})", "text"),
            "C:\\users\\u00e9")
      << "an escaped backslash before a u is no escape";
  EXPECT_EQ(
      TextAfterRoundTrip("ReferralAccepted", R"({"referralId":"ref-\u0030\u0037"})", "referralId"),
      "ref-07");
  // Member names may be escaped too.
  EXPECT_EQ(TextAfterRoundTrip("ReferralAccepted", R"({"\u0072eferralId":"ref-7"})", "referralId"),
            "ref-7");
}

TEST(EventJsonRoundTrip, EveryControlCharacterSurvivesTheRoundTrip) {
  // PayloadToJson writes control characters as \u00XX escapes; reading them back must give
  // the same character, or a payload would not survive JSON -> payload -> JSON.
  for (int c = 0; c < 0x20; ++c) {
    const std::string text = std::string("a") + static_cast<char>(c) + "b";
    capnp::MallocMessageBuilder message;
    message.initRoot<schema::NoteAdded>().initText().setClear(text);
    const std::string payload = ToBytes(message, capnp::Schema::from<schema::NoteAdded>());
    auto json = PayloadToJson(TypeNamed("NoteAdded"), payload);
    ASSERT_TRUE(json.ok()) << c;
    auto again = PayloadFromJson(TypeNamed("NoteAdded"), *json);
    ASSERT_TRUE(again.ok()) << c << ": " << again.status().ToString();
    EXPECT_EQ(*again, payload) << "control character " << c << " written as " << *json;
  }
}

TEST(EventJsonRoundTrip, TimesAreWrittenInUtcAndDatesAsCalendarDays) {
  auto payload =
      PayloadFromJson(TypeNamed("ServiceDelivered"),
                      R"({"serviceId":"svc-1","deliveredAt":"2026-03-01T18:30:00+08:00"})");
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  auto json = PayloadToJson(TypeNamed("ServiceDelivered"), *payload);
  ASSERT_TRUE(json.ok());
  Json read(*json);
  EXPECT_EQ(Str(Member(read.value(), "deliveredAt")->getString()), "2026-03-01T10:30:00Z");

  payload = PayloadFromJson(TypeNamed("AttendanceRecorded"),
                            R"({"spaceId":"space-1","date":"2024-02-29","childRefs":["c-1"]})");
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  json = PayloadToJson(TypeNamed("AttendanceRecorded"), *payload);
  ASSERT_TRUE(json.ok());
  Json date(*json);
  EXPECT_EQ(Str(Member(date.value(), "date")->getString()), "2024-02-29");
}

TEST(EventJsonRoundTrip, ALockedPersonalFieldIsWrittenAsItsKeyIdAndCannotBeReadBack) {
  capnp::MallocMessageBuilder message;
  auto locked = message.initRoot<schema::NoteAdded>().initText().initLocked();
  const kj::byte key_id[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                               0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  locked.setKeyId(kj::arrayPtr(key_id, sizeof key_id));
  locked.initNonce(24);
  locked.initCiphertext(40);
  const std::string payload = ToBytes(message, capnp::Schema::from<schema::NoteAdded>());
  const EventType& type = TypeNamed("NoteAdded");

  EXPECT_TRUE(ValidatePayload(type, payload).ok()) << "a sealed field counts as given";
  auto json = PayloadToJson(type, payload);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  Json read(*json), want(R"({"text":{"sealed":"00112233445566778899aabbccddeeff"}})");
  EXPECT_TRUE(SameJson(want.value(), read.value(), "data"));
  EXPECT_TRUE(RefusedAt(PayloadFromJson(type, *json).status(), "data.text",
                        {"personal field is a string"}));
}

// ---- NDJSON lines ----

const char kFullLine[] = R"({"stream":"case-00042","type":"ReferralMade","expectedVersion":7,
  "eventId":"0123456789abcdef0123456789ABCDEF","occurredAt":"2026-03-01T10:00:00Z",
  "actor":{"user":"w-17","role":"caseworker","agency":"county-civil-affairs"},
  "schemaVersion":1,"correlationId":"11111111111111111111111111111111",
  "causationId":"22222222222222222222222222222222","corrects":41,
  "correctionReason":"wrong receiving agency",
  "data":{"referralId":"ref-0007","serviceType":"legal","toAgency":"county-legal-aid",
          "toUser":"p-05","consentOverridden":false}})";

EventId IdOf(std::string_view hex) {
  auto id = EventId::FromHex(hex);
  EXPECT_TRUE(id.ok()) << hex;
  return id.ok() ? *id : EventId{};
}

TEST(EventJsonLine, AFullLineFillsEveryEnvelopeFieldAndThePayload) {
  auto line = ParseEventLine(kFullLine);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(line->stream, "case-00042");
  EXPECT_EQ(line->expected_version.kind(), ExpectedVersion::Kind::kExact);
  EXPECT_EQ(line->expected_version.version(), 7);
  const ProposedEvent& e = line->event;
  EXPECT_EQ(e.type, "ReferralMade");
  EXPECT_EQ(e.id.ToHex(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(FormatTimestamp(e.occurred_at), "2026-03-01T10:00:00Z");
  EXPECT_EQ(e.actor, (Actor{"w-17", "caseworker", "county-civil-affairs"}));
  EXPECT_EQ(e.schema_version, 1);
  EXPECT_EQ(e.correlation_id, IdOf("11111111111111111111111111111111"));
  EXPECT_EQ(e.causation_id, IdOf("22222222222222222222222222222222"));
  EXPECT_EQ(e.corrects, 41u);
  EXPECT_EQ(e.correction_reason, "wrong receiving agency");
  EXPECT_TRUE(ValidateProposedEvent(e).ok()) << ValidateProposedEvent(e).ToString();

  Json full(kFullLine);
  auto data = PayloadToJson(TypeNamed("ReferralMade"), e.payload);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  Json read(*data);
  EXPECT_TRUE(SameJson(*Member(full.value(), "data"), read.value(), "data"));
}

TEST(EventJsonLine, OnlyStreamTypeEventIdAndDataAreRequired) {
  auto line = ParseEventLine(Object(CaseOpenedLine()));
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(line->stream, "case-00042");
  EXPECT_EQ(line->expected_version.kind(), ExpectedVersion::Kind::kAny);
  EXPECT_EQ(line->event.type, "CaseOpened");
  EXPECT_EQ(ToMicros(line->event.occurred_at), 0) << "not given";
  EXPECT_EQ(line->event.actor, Actor{});
  EXPECT_EQ(line->event.schema_version, 1);
  EXPECT_TRUE(line->event.correlation_id.IsZero());
  EXPECT_TRUE(line->event.causation_id.IsZero());
  EXPECT_EQ(line->event.corrects, 0u);
  EXPECT_EQ(line->event.correction_reason, "");
  EXPECT_EQ(line->event.payload,
            *PayloadFromJson(TypeNamed("CaseOpened"), Object(CaseOpenedData())));
}

TEST(EventJsonLine, ExpectedVersionIsAVersionNumberOrAnyNoStreamOrStreamExists) {
  struct Case {
    std::string json;
    ExpectedVersion::Kind kind;
    StreamVersion version;
  };
  for (const Case& c :
       std::vector<Case>{{"0", ExpectedVersion::Kind::kExact, 0},
                         {"7", ExpectedVersion::Kind::kExact, 7},
                         {"9007199254740992", ExpectedVersion::Kind::kExact, 9007199254740992},
                         {R"("12")", ExpectedVersion::Kind::kExact, 12},
                         {R"("any")", ExpectedVersion::Kind::kAny, 0},
                         {R"("no_stream")", ExpectedVersion::Kind::kNoStream, 0},
                         {R"("stream_exists")", ExpectedVersion::Kind::kStreamExists, 0}}) {
    auto line = ParseEventLine(Object(With(CaseOpenedLine(), "expectedVersion", c.json)));
    ASSERT_TRUE(line.ok()) << c.json << ": " << line.status().ToString();
    EXPECT_EQ(line->expected_version.kind(), c.kind) << c.json;
    if (c.kind == ExpectedVersion::Kind::kExact) {
      EXPECT_EQ(line->expected_version.version(), c.version) << c.json;
    }
  }
}

TEST(EventJsonLine, TheMembersOfALineMayComeInAnyOrder) {
  Members reversed = CaseOpenedLine();
  std::reverse(reversed.begin(), reversed.end());
  auto a = ParseEventLine(Object(CaseOpenedLine()));
  auto b = ParseEventLine(Object(reversed));
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString() << " / " << b.status().ToString();
  EXPECT_EQ(a->event, b->event);
  EXPECT_EQ(a->stream, b->stream);
}

TEST(EventJsonLine, RecordedEventToJsonWritesTheLinesFieldsAndWhatTheLedgerSet) {
  auto line = ParseEventLine(kFullLine);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  RecordedEvent recorded;
  recorded.position = 1234;
  recorded.stream = line->stream;
  recorded.stream_version = 8;
  recorded.recorded_at = *ParseTimestamp("2026-03-01T10:00:05.25Z");
  recorded.recorded_by = "w-17@county-civil-affairs";
  recorded.event = line->event;

  auto out = RecordedEventToJson(recorded);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->find('\n'), std::string::npos) << "one line";
  Json got(*out), written(kFullLine);

  // What the ledger set.
  EXPECT_EQ(Member(got.value(), "position")->getNumber(), 1234);
  EXPECT_EQ(Member(got.value(), "streamVersion")->getNumber(), 8);
  EXPECT_EQ(Str(Member(got.value(), "recordedAt")->getString()), "2026-03-01T10:00:05.25Z");
  EXPECT_EQ(Str(Member(got.value(), "recordedBy")->getString()), "w-17@county-civil-affairs");
  // What the line said, as it said it (the event id in lower case).
  EXPECT_EQ(Str(Member(got.value(), "eventId")->getString()), "0123456789abcdef0123456789abcdef");
  for (const char* name : {"stream", "type", "occurredAt", "actor", "schemaVersion",
                           "correlationId", "causationId", "corrects", "correctionReason", "data"})
    EXPECT_TRUE(SameJson(*Member(written.value(), name), *Member(got.value(), name), name));
  EXPECT_EQ(MemberNames(got.value()),
            (std::vector<std::string>{"actor", "causationId", "correctionReason", "corrects",
                                      "correlationId", "data", "eventId", "occurredAt", "position",
                                      "recordedAt", "recordedBy", "schemaVersion", "stream",
                                      "streamVersion", "type"}));

  // Without what the ledger set, the output is an input line for the same event.
  Json copy(*out);
  Members members;
  for (auto member : copy.value().getObject()) {
    const std::string name = Str(member.getName());
    if (name == "position" || name == "streamVersion" || name == "recordedAt" ||
        name == "recordedBy")
      continue;
    members.emplace_back(name, Str(capnp::JsonCodec().encodeRaw(member.getValue())));
  }
  auto again = ParseEventLine(Object(members));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->event, line->event);
}

TEST(EventJsonLine, RecordedEventToJsonLeavesOutEnvelopeFieldsThatWereNotGiven) {
  auto line = ParseEventLine(Object(CaseOpenedLine()));
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  RecordedEvent recorded;
  recorded.position = 1;
  recorded.stream = line->stream;
  recorded.recorded_at = *ParseTimestamp("2026-03-01T10:00:00Z");
  recorded.recorded_by = "importer";
  recorded.event = line->event;
  auto out = RecordedEventToJson(recorded);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  Json got(*out);
  EXPECT_EQ(MemberNames(got.value()),
            (std::vector<std::string>{"data", "eventId", "position", "recordedAt", "recordedBy",
                                      "schemaVersion", "stream", "streamVersion", "type"}));
  Json written(Object(CaseOpenedData()));
  EXPECT_TRUE(SameJson(written.value(), *Member(got.value(), "data"), "data"));
}

TEST(EventJsonLine, RecordedEventToJsonRefusesAnUnknownTypeAndReportsBadBytesAsCorruption) {
  RecordedEvent recorded;
  recorded.position = 9;
  recorded.stream = "case-1";
  recorded.event.id = IdOf("0123456789abcdef0123456789abcdef");
  recorded.event.type = "CaseOpend";
  recorded.event.payload = SamplePayload("CaseOpened");
  EXPECT_EQ(RecordedEventToJson(recorded).status().code(), StatusCode::kInvalidArgument);

  recorded.event.type = "CaseOpened";
  recorded.event.payload = "not a payload";
  auto out = RecordedEventToJson(recorded);
  EXPECT_EQ(out.status().code(), StatusCode::kCorruption);
  EXPECT_NE(out.status().message().find("position 9"), std::string::npos) << out.status().message();
}

// ---- bad lines: refused with kInvalidArgument naming the field ----

TEST(EventJsonBadLine, MalformedJsonIsRefused) {
  const std::string full = Object(CaseOpenedLine());
  for (const std::string& line :
       {full.substr(0, full.size() / 2), full.substr(0, full.size() - 1), full + "x", full + "{}",
        std::string(""), std::string("   "), std::string("{\"stream\":}"),
        std::string("{'stream':'case-1'}"), std::string("{\"stream\":\"case-1\",}")}) {
    Status status = ParseStatus(line);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << line;
    EXPECT_NE(status.message().find("the line is not valid JSON"), std::string::npos)
        << status.message() << "\n"
        << line;
  }
  for (const char* line : {"[1,2,3]", "\"case-1\"", "42", "null", "true"}) {
    Status status = ParseStatus(line);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << line;
    EXPECT_EQ(status.message(), "the line is not a JSON object") << line;
  }
}

TEST(EventJsonBadLine, AnUnknownTopLevelFieldIsNamed) {
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "strem", R"("case-1")")), "strem",
                        {"unknown field", "stream, type"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "position", "12")), "position",
                        {"unknown field"}));
}

TEST(EventJsonBadLine, AnUnknownDataFieldIsNamedWithItsPathAndTheKnownFields) {
  EXPECT_TRUE(RefusedAt(
      ParseStatus(LineOf("CommunityRegistered",
                         R"({"code":"130111200201","nme":"Xinzhuang","setting":"rural"})")),
      "data.nme", {"unknown field", "CommunityRegistered has code, name, setting"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("Sex", R"("female")"), "data.Sex", {"unknown field"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(LineOf("ActivityHeld", R"({"spaceId":"space-1","kind":"games",
          "participants":[{"sex":"male","ageBand":"0-5","count":2,"counts":3}]})")),
                        "data.participants[0].counts",
                        {"unknown field", "ParticipantCount has sex, ageBand, count"}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(With(CaseOpenedLine(), "actor", R"({"user":"w-1","name":"x"})")),
                "actor.name", {"unknown field"}));
}

TEST(EventJsonBadLine, AMissingRequiredEnvelopeFieldIsNamed) {
  EXPECT_TRUE(RefusedAt(ParseStatus(Without(CaseOpenedLine(), "stream")), "stream", {"required"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(Without(CaseOpenedLine(), "type")), "type", {"required"}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(Without(CaseOpenedLine(), "eventId")), "eventId", {"required"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(Without(CaseOpenedLine(), "data")), "data", {"required"}));
  EXPECT_TRUE(RefusedAt(ParseStatus("{}"), "stream", {"required"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "data", "null")), "data"));
}

TEST(EventJsonBadLine, AMissingNullOrEmptyRequiredDataFieldIsNamed) {
  EXPECT_TRUE(
      RefusedAt(ParseStatus(LineOf("CaseOpened", Object(Without(CaseOpenedData(), "childRef")))),
                "data.childRef", {"required"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("childRef", R"("")"), "data.childRef", {"required"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("childRef", "null"), "data.childRef", {"required"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("name", R"("")"), "data.name", {"required"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(LineOf("CaseOpened", Object(Without(CaseOpenedData(), "sex")))),
                        "data.sex", {"required"}));
  EXPECT_TRUE(RefusedAt(SampleWith("ProtectionConcernsRecorded", "concerns", "[]"), "data.concerns",
                        {"required"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(LineOf("ActivityHeld", R"({"spaceId":"space-1","kind":"games",
          "participants":[{"sex":"male","ageBand":"0-5"}]})")),
                        "data.participants[0].count", {"required"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(LineOf("NoteAdded", "{}")), "data.text", {"required"}));
}

TEST(EventJsonBadLine, AValueOfTheWrongTypeIsNamedWithTheOffendingValue) {
  // A string where a number belongs, and a number where a string belongs.
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("estimatedAgeYears", R"("ten")"), "data.estimatedAgeYears",
                        {"\"ten\"", "not a number"}));
  EXPECT_TRUE(
      RefusedAt(CaseOpenedWith("childRef", "42"), "data.childRef", {"expected a string", "42"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "stream", "42")), "stream",
                        {"expected a string", "42"}));
  // An object where a personal field's string belongs.
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("name", R"({"given":"Xiaoyu","family":"Li"})"), "data.name",
                        {"personal field is a string", "an object"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("name", "7"), "data.name", {"personal field is a string"}));
  // An array where an object belongs.
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "data", "[]")), "data",
                        {"expected an object", "an array"}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(LineOf("ActivityHeld",
                                   R"({"spaceId":"s-1","kind":"games","participants":[[]]})")),
                "data.participants[0]", {"expected an object", "an array"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "actor", R"(["w-17"])")), "actor",
                        {"expected an object"}));
  // Booleans, lists and list elements.
  EXPECT_TRUE(RefusedAt(SampleWith("ProtectionConcernsRecorded", "urgent", R"("yes")"),
                        "data.urgent", {"expected true or false", "\"yes\""}));
  EXPECT_TRUE(RefusedAt(SampleWith("ProtectionConcernsRecorded", "concerns", R"("neglect")"),
                        "data.concerns", {"expected an array", "\"neglect\""}));
  EXPECT_TRUE(RefusedAt(SampleWith("ProtectionConcernsRecorded", "concerns", R"(["neglect",3])"),
                        "data.concerns[1]", {"expected a string", "3"}));
  EXPECT_TRUE(RefusedAt(SampleWith("AttendanceRecorded", "childRefs", R"(["c-1",null])"),
                        "data.childRefs[1]", {"null"}));
  // Times and dates.
  EXPECT_TRUE(RefusedAt(SampleWith("AssessmentRequested", "due", R"("next Tuesday")"), "data.due",
                        {"\"next Tuesday\"", "2026-03-01T10:00:00Z"}));
  EXPECT_TRUE(RefusedAt(SampleWith("AssessmentRequested", "due", "1772359200"), "data.due",
                        {"1772359200"}));
  EXPECT_TRUE(RefusedAt(SampleWith("AttendanceRecorded", "date", R"("2026-02-30")"), "data.date",
                        {"\"2026-02-30\"", "2026-03-01"}));
  EXPECT_TRUE(RefusedAt(SampleWith("AttendanceRecorded", "date", R"("01/03/2026")"), "data.date",
                        {"\"01/03/2026\""}));
  // Envelope members.
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "actor", R"({"user":17})")),
                        "actor.user", {"expected a string", "17"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "correlationId", "5")), "correlationId",
                        {"expected a string"}));
}

TEST(EventJsonBadLine, AnUnknownEnumValueIsNamedWithTheAllowedValues) {
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("sex", R"("boy")"), "data.sex",
                        {"\"boy\" is not one of female, male, unknown"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("ageBand", R"("6 to 11")"), "data.ageBand",
                        {"\"6 to 11\"", "0-5, 6-11, 12-17, 18+"}));
  EXPECT_TRUE(
      RefusedAt(CaseOpenedWith("ageBand", R"("age6to11")"), "data.ageBand", {"\"age6to11\""}))
      << "the schema's enumerant name is not its JSON name";
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("vulnerabilities", R"(["left_behind","orphan"])"),
                        "data.vulnerabilities[1]", {"\"orphan\"", "left_behind, disability"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("sex", "1"), "data.sex", {"1 is not one of"}))
      << "enum values are names, not numbers";
  EXPECT_TRUE(RefusedAt(SampleWith("ServicePlanned", "responseTimeframe", R"("2h")"),
                        "data.responseTimeframe", {"\"2h\"", "1h, 3h, 1d, 3d, other"}));
}

TEST(EventJsonBadLine, AnUnknownEventTypeIsNamed) {
  EXPECT_TRUE(RefusedAt(ParseStatus(LineOf("CaseOpend", Object(CaseOpenedData()))), "type",
                        {"unknown event type \"CaseOpend\""}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(LineOf("", Object(CaseOpenedData()))), "type", {"unknown event type"}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(With(CaseOpenedLine(), "type", "3")), "type", {"expected a string"}));
}

TEST(EventJsonBadLine, TheEventIdMustBe32HexDigitsAndNotAllZeros) {
  for (const char* id : {"0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
                         "0123456789abcdef0123456789abcdeg", "", "{0123456789abcdef0123456789abcd}",
                         "01234567-89ab-cdef-0123-456789abcdef"})
    EXPECT_TRUE(
        RefusedAt(ParseStatus(With(CaseOpenedLine(), "eventId", "\"" + std::string(id) + "\"")),
                  "eventId", {"\"" + std::string(id) + "\"", "32 hexadecimal digits"}));
  EXPECT_TRUE(RefusedAt(
      ParseStatus(With(CaseOpenedLine(), "eventId", R"("00000000000000000000000000000000")")),
      "eventId", {"all zeros"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "causationId", R"("abc")")),
                        "causationId", {"\"abc\"", "32 hexadecimal digits"}));
}

TEST(EventJsonBadLine, OccurredAtMustBeAnRfc3339Time) {
  for (const char* t : {"yesterday", "2026-13-01T10:00:00Z", "2026-03-01T25:00:00Z",
                        "2026-03-01T10:00:00", "2026-03-01T10:00:00Zjunk"})
    EXPECT_TRUE(
        RefusedAt(ParseStatus(With(CaseOpenedLine(), "occurredAt", "\"" + std::string(t) + "\"")),
                  "occurredAt", {"\"" + std::string(t) + "\"", "2026-03-01T10:00:00Z"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "occurredAt", "1772359200")),
                        "occurredAt", {"expected a string", "1772359200"}));
}

TEST(EventJsonBadLine, OccurredAtBeforeTheEpochIsRefusedAsTheLedgerWouldRefuseIt) {
  // `caseledger import` checks a whole file with ParseEventLine before writing anything: a
  // line it accepts must not be refused by ValidateProposedEvent at append time.
  Status status = ParseStatus(With(CaseOpenedLine(), "occurredAt", R"("1969-12-31T23:59:59Z")"));
  EXPECT_TRUE(RefusedAt(status, "occurredAt", {"\"1969-12-31T23:59:59Z\"", "1970"}));
  auto epoch =
      ParseEventLine(Object(With(CaseOpenedLine(), "occurredAt", R"("1970-01-01T00:00:00Z")")));
  ASSERT_TRUE(epoch.ok()) << epoch.status().ToString();
  EXPECT_TRUE(ValidateProposedEvent(epoch->event).ok());
}

TEST(EventJsonBadLine, ExpectedVersionMustBeAWholeNumberFromZeroOrAKeyword) {
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "expectedVersion", "-1")),
                        "expectedVersion", {"-1"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "expectedVersion", "2.5")),
                        "expectedVersion", {"2.5"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "expectedVersion", "1e300")),
                        "expectedVersion"));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "expectedVersion", R"("latest")")),
                        "expectedVersion", {"\"latest\"", "\"any\", \"no_stream\""}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "expectedVersion", R"("-1")")),
                        "expectedVersion", {"\"-1\""}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "expectedVersion", "true")),
                        "expectedVersion", {"expected a string"}));
}

TEST(EventJsonBadLine, TheStreamIdMustBePrintableAsciiWithoutSpaces) {
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "stream", R"("case 42")")), "stream",
                        {"\"case 42\"", "printable ASCII"}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(With(CaseOpenedLine(), "stream", R"("")")), "stream", {"empty"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "stream", R"("case-\u0000")")), "stream",
                        {"printable ASCII"}));
  EXPECT_TRUE(RefusedAt(
      ParseStatus(With(CaseOpenedLine(), "stream", "\"case-" + std::string(300, '7') + "\"")),
      "stream", {"at most 256"}));
}

TEST(EventJsonBadLine, CorrectsAndCorrectionReasonComeTogether) {
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "corrects", "41")), "correctionReason",
                        {"required with corrects"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(With(CaseOpenedLine(), "correctionReason", R"("typo")")),
                        "corrects", {"required with correctionReason"}));
  EXPECT_TRUE(RefusedAt(
      ParseStatus(With(With(CaseOpenedLine(), "corrects", "41"), "correctionReason", R"("")")),
      "correctionReason", {"required with corrects"}));
  EXPECT_TRUE(RefusedAt(
      ParseStatus(With(With(CaseOpenedLine(), "corrects", "0"), "correctionReason", R"("typo")")),
      "corrects", {"0"}))
      << "positions start at 1";
  EXPECT_TRUE(RefusedAt(
      ParseStatus(With(With(CaseOpenedLine(), "corrects", "-3"), "correctionReason", R"("typo")")),
      "corrects", {"-3"}));
}

TEST(EventJsonBadLine, CorrectsGivenAsADecimalStringIsThatPosition) {
  // The codec reads integers written as decimal strings (as JsonCodec writes 64-bit ones);
  // `corrects` must then hold that number, not whatever a string's bytes read as a double.
  auto line = ParseEventLine(Object(With(With(CaseOpenedLine(), "corrects", R"("41")"),
                                         "correctionReason", R"("wrong date of birth")")));
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(line->event.corrects, 41u);
  EXPECT_TRUE(RefusedAt(ParseStatus(With(With(CaseOpenedLine(), "corrects", R"("forty")"),
                                         "correctionReason", R"("typo")")),
                        "corrects", {"\"forty\""}));
}

TEST(EventJsonBadLine, PositionsWrittenAsStringsAreDecimalDigitsNamedWhenNot) {
  // JsonCodec writes 64-bit integers (positions) as decimal strings, and docs/events.md lets
  // a writer give them so; any other string is refused naming the field.
  auto payload = PayloadFromJson(TypeNamed("LedgerExported"),
                                 R"({"fromPosition":"41","toPosition":"120000","purpose":"p"})");
  ASSERT_TRUE(payload.ok()) << payload.status().ToString();
  EXPECT_EQ(*payload, *PayloadFromJson(TypeNamed("LedgerExported"),
                                       R"({"fromPosition":41,"toPosition":120000,"purpose":"p"})"));
  for (const char* bad : {"1e1", "1.0", "0x0a", " 10", "10 ", "+10", "-0", "", "-"})
    EXPECT_TRUE(
        RefusedAt(SampleWith("LedgerExported", "toPosition", "\"" + std::string(bad) + "\""),
                  "data.toPosition", {"\"" + std::string(bad) + "\""}))
        << bad;
  EXPECT_TRUE(
      RefusedAt(SampleWith("EntryVoided", "position", R"("-41")"), "data.position", {"\"-41\""}));
  // Other integers are refused the same way if given as such strings.
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("estimatedAgeYears", R"("1e1")"), "data.estimatedAgeYears",
                        {"\"1e1\""}));
  EXPECT_TRUE(
      RefusedAt(SampleWith("SpaceOpened", "capacity", R"("-1")"), "data.capacity", {"\"-1\""}));
}

TEST(EventJsonBadLine, OnlySchemaVersionOneIsKnown) {
  EXPECT_TRUE(
      RefusedAt(ParseStatus(With(CaseOpenedLine(), "schemaVersion", "2")), "schemaVersion", {"2"}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(With(CaseOpenedLine(), "schemaVersion", "0")), "schemaVersion", {"0"}));
  EXPECT_TRUE(ParseEventLine(Object(With(CaseOpenedLine(), "schemaVersion", "1"))).ok());
}

TEST(EventJsonBadLine, LocationCodesAreTwelveDigitsOrNineForAWorkersTownshipScope) {
  for (const char* bad : {"13011120020", "1301112002011", "13011120020A", "", " 130111200201"})
    EXPECT_TRUE(RefusedAt(CaseOpenedWith("communityCode", "\"" + std::string(bad) + "\""),
                          "data.communityCode"))
        << bad;
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("communityCode", R"("13011120020")"), "data.communityCode",
                        {"\"13011120020\"", "12-digit community code"}));
  EXPECT_TRUE(RefusedAt(SampleWith("CommunityRegistered", "code", R"("130111200")"), "data.code",
                        {"\"130111200\"", "12-digit"}))
      << "a community is registered under its full code";
  EXPECT_TRUE(RefusedAt(SampleWith("SpaceOpened", "communityCode", R"("130111")"),
                        "data.communityCode", {"\"130111\""}));

  for (const char* good : {"130111200", "130111200201"}) {
    EXPECT_TRUE(
        SampleWith("WorkerRegistered", "locationCode", "\"" + std::string(good) + "\"").ok())
        << good;
    EXPECT_TRUE(
        SampleWith("WorkerRoleChanged", "locationCode", "\"" + std::string(good) + "\"").ok())
        << good;
  }
  EXPECT_TRUE(SampleWith("WorkerRegistered", "locationCode", R"("")").ok())
      << "a worker without a location scope (an auditor, an administrator)";
  for (const char* bad : {"1301112002", "130111", "13011120020A", "1301112002011"})
    EXPECT_TRUE(RefusedAt(
        SampleWith("WorkerRegistered", "locationCode", "\"" + std::string(bad) + "\""),
        "data.locationCode", {"\"" + std::string(bad) + "\"", "9-digit township or 12-digit"}));
}

TEST(EventJsonBadLine, IntegersOutsideTheirFieldsRangeAreRefused) {
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("estimatedAgeYears", "300"), "data.estimatedAgeYears",
                        {"300", "0..255"}));
  EXPECT_TRUE(
      RefusedAt(CaseOpenedWith("estimatedAgeYears", "-1"), "data.estimatedAgeYears", {"-1"}));
  EXPECT_TRUE(RefusedAt(CaseOpenedWith("estimatedAgeYears", "9.5"), "data.estimatedAgeYears",
                        {"9.5", "whole number"}));
  EXPECT_TRUE(RefusedAt(SampleWith("SpaceOpened", "capacity", "-1"), "data.capacity",
                        {"-1", "0..4294967295"}));
  EXPECT_TRUE(RefusedAt(SampleWith("CommunityRegistered", "childPopulation", "4294967296"),
                        "data.childPopulation", {"4294967296"}));
  EXPECT_TRUE(RefusedAt(SampleWith("EntryVoided", "position", "-41"), "data.position", {"-41"}));
  EXPECT_TRUE(RefusedAt(SampleWith("LedgerExported", "toPosition", R"("18446744073709551616")"),
                        "data.toPosition", {"18446744073709551616"}));
  EXPECT_TRUE(
      RefusedAt(ParseStatus(LineOf("LedgerExported",
                                   R"({"fromPosition":1,"toPosition":1e400,"purpose":"p"})")),
                "data.toPosition", {"inf"}));
  EXPECT_TRUE(RefusedAt(ParseStatus(LineOf("ActivityHeld", R"({"spaceId":"s-1","kind":"games",
          "participants":[{"sex":"male","ageBand":"0-5","count":2},
                          {"sex":"male","ageBand":"6-11","count":-2}]})")),
                        "data.participants[1].count", {"-2"}));
  // The largest values are accepted.
  EXPECT_TRUE(CaseOpenedWith("estimatedAgeYears", "255").ok());
  EXPECT_TRUE(SampleWith("SpaceOpened", "capacity", "4294967295").ok());
}

TEST(EventJsonBadLine, DeeplyNestedOrHugeInputIsRefusedOrReadWithoutCrashing) {
  const int kDepth = 100000;
  const std::string nested_arrays = std::string(kDepth, '[') + std::string(kDepth, ']');
  const std::string nested_objects = [&] {
    std::string s;
    for (int i = 0; i < kDepth; ++i) s += "{\"a\":";
    return s + "1" + std::string(kDepth, '}');
  }();
  for (const std::string& deep : {nested_arrays, nested_objects}) {
    EXPECT_EQ(ParseStatus(deep).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(ParseStatus(With(CaseOpenedLine(), "data", deep)).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(CaseOpenedWith("vulnerabilities", deep).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(ParseStatus(With(CaseOpenedLine(), "actor", deep)).code(),
              StatusCode::kInvalidArgument);
    EXPECT_EQ(PayloadFromJson(TypeNamed("CaseOpened"), deep).status().code(),
              StatusCode::kInvalidArgument);
  }
  // Unclosed nesting.
  EXPECT_EQ(ParseStatus(std::string(kDepth, '[')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStatus(std::string(kDepth, '{')).code(), StatusCode::kInvalidArgument);

  // Huge but well-formed: a 4 MiB note is kept whole; 100,000 concerns are kept in order.
  const std::string long_text(4 << 20, 'n');
  auto note = ParseEventLine(Object(LineOf("NoteAdded", "{\"text\":\"" + long_text + "\"}")));
  ASSERT_TRUE(note.ok()) << note.status().ToString();
  auto note_json = PayloadToJson(TypeNamed("NoteAdded"), note->event.payload);
  ASSERT_TRUE(note_json.ok());
  EXPECT_EQ(*note_json, "{\"text\":\"" + long_text + "\"}");

  std::string concerns = "[";
  for (int i = 0; i < 100000; ++i) concerns += (i ? ",\"c" : "\"c") + std::to_string(i) + "\"";
  concerns += "]";
  auto many = ParseEventLine(
      Object(LineOf("ProtectionConcernsRecorded", "{\"concerns\":" + concerns + "}")));
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  auto many_json = PayloadToJson(TypeNamed("ProtectionConcernsRecorded"), many->event.payload);
  ASSERT_TRUE(many_json.ok());
  Json read(*many_json), want(concerns);
  EXPECT_TRUE(SameJson(want.value(), *Member(read.value(), "concerns"), "data.concerns"));

  // 100,000 unknown members: the first is named.
  std::string members = "{";
  for (int i = 0; i < 100000; ++i) members += (i ? ",\"x" : "\"x") + std::to_string(i) + "\":1";
  members += "}";
  EXPECT_TRUE(RefusedAt(ParseStatus(members), "x0", {"unknown field"}));
}

TEST(EventJsonBadLine, ADateIsExactlyYearMonthDayInDigits) {
  for (const char* bad : {"2026- 3-01", "+026-03-01", "2026-3-1", "2026-03-1 ", "2026-03-01T",
                          "2026/03/01", "20260301", "2026-02-29", "-026-03-01"})
    EXPECT_TRUE(RefusedAt(SampleWith("AttendanceRecorded", "date", "\"" + std::string(bad) + "\""),
                          "data.date", {"\"" + std::string(bad) + "\"", "2026-03-01"}))
        << bad;
  EXPECT_TRUE(SampleWith("AttendanceRecorded", "date", R"("0001-01-01")").ok());
  EXPECT_TRUE(SampleWith("AttendanceRecorded", "date", R"("9999-12-31")").ok());
}

TEST(EventJsonBadLine, ALoneUtf16SurrogateIsRefused) {
  for (const char* text : {R"(\ud83d)", R"(\ude00)", R"(\ud83dx)", R"(\ud83d\u0041)"}) {
    Status status = ParseStatus(LineOf("NoteAdded", "{\"text\":\"" + std::string(text) + "\"}"));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(status.message().find("surrogate"), std::string::npos) << status.message();
  }
}

// ---- ValidatePayload ----

TEST(EventJsonValidatePayload, AcceptsWhatPayloadFromJsonProducesForEveryType) {
  for (const auto& [name, sample] : kSamples) {
    Status status = ValidatePayload(TypeNamed(name), SamplePayload(name));
    EXPECT_TRUE(status.ok()) << name << ": " << status.ToString();
  }
}

TEST(EventJsonValidatePayload, RefusesBytesThatAreNotAWholeNumberOfWords) {
  const std::string payload = SamplePayload("CaseOpened");
  for (size_t cut : {size_t{1}, size_t{3}, size_t{7}}) {
    const std::string bytes = payload.substr(0, payload.size() - cut);
    Status status = ValidatePayload(TypeNamed("CaseOpened"), bytes);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("not a whole number of words"), std::string::npos)
        << status.message();
    EXPECT_EQ(PayloadToJson(TypeNamed("CaseOpened"), bytes).status().code(),
              StatusCode::kCorruption);
  }
  EXPECT_EQ(ValidatePayload(TypeNamed("CaseOpened"), payload + "x").code(),
            StatusCode::kInvalidArgument);
}

TEST(EventJsonValidatePayload, RefusesGarbageBytes) {
  for (const std::string& garbage : {std::string(64, '\xab'), std::string(8, '\xff'),
                                     std::string("{\"childRef\":\"c-1\"}......"),
                                     std::string(16, '\0') + std::string(16, '\xff')}) {
    ASSERT_EQ(garbage.size() % 8, 0u);
    Status status = ValidatePayload(TypeNamed("CaseOpened"), garbage);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status.ToString();
    EXPECT_EQ(PayloadToJson(TypeNamed("CaseOpened"), garbage).status().code(),
              StatusCode::kCorruption);
  }
  EXPECT_EQ(ValidatePayload(TypeNamed("CaseOpened"), "").code(), StatusCode::kInvalidArgument)
      << "an empty payload lacks every required field";
}

TEST(EventJsonValidatePayload, RefusesAPayloadOfAnotherTypeThatLacksTheRequiredFields) {
  // A ReferralAccepted has only a referral id: as a CaseOpened it has a childRef (the same
  // slot) but no name.
  EXPECT_TRUE(RefusedAt(ValidatePayload(TypeNamed("CaseOpened"), SamplePayload("ReferralAccepted")),
                        "data.name", {"required"}));
  EXPECT_TRUE(
      RefusedAt(ValidatePayload(TypeNamed("CaseHistoryRead"), SamplePayload("ErasureCompleted")),
                "data.purpose", {"required"}));
  // A text where a list belongs: the bytes do not decode as the type at all.
  Status list = ValidatePayload(TypeNamed("CasePlanSet"), SamplePayload("ReferralAccepted"));
  EXPECT_EQ(list.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(list.message().find("not a CasePlanSet"), std::string::npos) << list.message();
  EXPECT_EQ(ValidatePayload(TypeNamed("NoteAdded"), SamplePayload("ErasureCompleted")).code(),
            StatusCode::kInvalidArgument)
      << "a text where a personal field belongs";
  // A list of enum values none of which the schema knows.
  capnp::MallocMessageBuilder message;
  auto space = message.initRoot<capnp::DynamicStruct>(TypeNamed("SpaceOpened").schema);
  space.set("spaceId", "space-1");
  space.set("communityCode", "130111200201");
  auto services = space.init("services", 1).as<capnp::DynamicList>();
  services.set(0, capnp::DynamicEnum(capnp::Schema::from<schema::SpaceService>(), 99));
  EXPECT_TRUE(RefusedAt(
      ValidatePayload(TypeNamed("SpaceOpened"), ToBytes(message, TypeNamed("SpaceOpened").schema)),
      "data.services[0]", {"enum value"}));
}

TEST(EventJsonValidatePayload, NeverCrashesOnRandomTruncatedOrBitFlippedPayloads) {
  std::mt19937_64 random(20260301);
  std::vector<std::string> payloads;
  for (const auto& [name, sample] : kSamples) payloads.push_back(SamplePayload(name));
  const auto catalogue = EventCatalogue();
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string bytes = payloads[random() % payloads.size()];
    switch (i % 5) {
      case 0:  // truncated, anywhere
        bytes.resize(random() % (bytes.size() + 1));
        break;
      case 1:  // truncated to whole words
        bytes.resize(8 * (random() % (bytes.size() / 8 + 1)));
        break;
      case 2:  // a few bits flipped
        for (int flips = 1 + random() % 8; flips > 0 && !bytes.empty(); --flips)
          bytes[random() % bytes.size()] ^= static_cast<char>(1 << (random() % 8));
        break;
      case 3:  // one word (often a pointer) replaced by random bits
        if (!bytes.empty()) {
          const uint64_t word = random();
          std::memcpy(&bytes[8 * (random() % (bytes.size() / 8))], &word, 8);
        }
        break;
      default:  // random bytes
        bytes.resize(8 * (random() % 64));
        for (char& c : bytes) c = static_cast<char>(random());
        break;
    }
    const EventType& type = catalogue[random() % catalogue.size()];
    Status status = ValidatePayload(type, bytes);
    EXPECT_TRUE(status.ok() || status.code() == StatusCode::kInvalidArgument)
        << type.name << ": " << status.ToString();
    accepted += status.ok();
    auto json = PayloadToJson(type, bytes);
    EXPECT_TRUE(json.ok() || json.status().code() == StatusCode::kCorruption)
        << type.name << ": " << json.status().ToString();
  }
  // Sanity: the mutations are not all caught by the word-size check alone.
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace caseledger

namespace caseledger {
namespace {

TEST(EventJsonCanonical, TheSameDataInAnotherMemberOrderGivesTheSameBytes) {
  // Retries are recognised by a digest of the payload: the order in which a client writes
  // the members must not matter.
  const EventType& type = TypeNamed("ReferralMade");
  auto a = PayloadFromJson(
      type,
      R"({"referralId":"r-1","serviceType":"education","toAgency":"school-3","toUser":"w-9"})");
  auto b = PayloadFromJson(
      type,
      R"({"toUser":"w-9","toAgency":"school-3","serviceType":"education","referralId":"r-1"})");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(EventJsonBadData, AMemberGivenTwiceIsRefusedNotSilentlyOverwritten) {
  auto data = PayloadFromJson(TypeNamed("RiskAssessed"), R"({"level":"low","level":"high"})");
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("data.level: given twice"), std::string::npos)
      << data.status().ToString();
  auto line = ParseEventLine(
      R"({"stream":"case-1","stream":"case-2","type":"RiskAssessed","eventId":"00112233445566778899aabbccddeeff","data":{"level":"low"}})");
  ASSERT_FALSE(line.ok());
  EXPECT_NE(line.status().message().find("stream: given twice"), std::string::npos)
      << line.status().ToString();
}

}  // namespace
}  // namespace caseledger
