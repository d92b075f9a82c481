// A case-event ledger as its users meet it: only catalogue events get in, personal fields
// are sealed before anything reaches the disk (the raw files are searched for them), and
// only the master key opens them again.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "caseledger/case_events.h"
#include "caseledger/ledger.h"
#include "event_samples.h"
#include "events.h"
#include "temp_dir.h"

namespace caseledger {
namespace {

namespace fs = std::filesystem;
using testing::Request;
using testing::TempDir;

// Distinctive clear texts, so that a search of the raw files cannot hit by chance.
constexpr const char* kName = "Zhou Mingyue-7Q4K";
constexpr const char* kBirthDate = "2015-04-02";
constexpr const char* kNote = "Grandmother says Mingyue-7Q4K sleeps badly";

std::string CaseOpenedJson(const std::string& child, const std::string& name) {
  return R"({"childRef":")" + child + R"(","name":")" + name + R"(","sex":"female","birthDate":")" +
         kBirthDate +
         R"(","ageBand":"6-11","communityCode":"130111200201","vulnerabilities":["left_behind"],)"
         R"("identificationChannel":"home_visit","owner":"w-17","agency":"county-ca"})";
}

ProposedEvent CaseEvent(const std::string& type, const std::string& data_json) {
  const EventType* t = FindEventType(type);
  EXPECT_NE(t, nullptr) << type;
  auto payload = PayloadFromJson(*t, data_json);
  EXPECT_TRUE(payload.ok()) << payload.status().ToString();
  return testing::Event(type, payload.ok() ? *payload : std::string());
}

LedgerOptions KeyOptions(const std::string& master_key_file) {
  LedgerOptions options;
  options.master_key_file = master_key_file;
  return options;
}

// True if any regular file under `dir` contains `needle` byte for byte.
bool AnyFileContains(const std::string& dir, const std::string& needle) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (bytes.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

class CaseEventLedger : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(CreateMasterKeyFile(key_).ok());
    CreateOptions create;
    create.segment_bytes = 1 << 20;
    create.master_key_file = key_;
    ASSERT_TRUE(Ledger::Create(ledger_dir_, create).ok());
  }

  std::unique_ptr<Ledger> Open(const std::string& key_file, bool read_only = false) {
    LedgerOptions options;
    options.master_key_file = key_file;
    options.read_only = read_only;
    auto ledger = Ledger::Open(ledger_dir_, options);
    EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }

  // The "data" JSON of a stored event, with personal fields opened if `ledger` can.
  std::string DataOf(Ledger& ledger, const RecordedEvent& r) {
    auto payload = ledger.OpenPersonalFields(r);
    auto json =
        PayloadToJson(*FindEventType(r.event.type), payload.ok() ? *payload : r.event.payload);
    EXPECT_TRUE(json.ok()) << json.status().ToString();
    return json.ok() ? *json : "";
  }

  TempDir dir_;
  const std::string key_ = dir_.Sub("master.key");  // outside the ledger directory
  const std::string ledger_dir_ = dir_.Sub("ledger");
};

TEST_F(CaseEventLedger, PersonalFieldsNeverReachTheDiskInClear) {
  {
    auto ledger = Open(key_);
    ASSERT_TRUE(
        ledger
            ->Append(Request("case-1", ExpectedVersion::NoStream(),
                             {CaseEvent("CaseOpened", CaseOpenedJson("c-1", kName)),
                              CaseEvent("NoteAdded", std::string(R"({"text":")") + kNote + "\"}")}))
            .ok());
  }  // closing flushes the index, so its files hold whatever it would ever hold
  ASSERT_TRUE(Ledger::Reindex(ledger_dir_, KeyOptions(key_)).ok());
  for (const char* secret : {kName, kNote, "Mingyue-7Q4K"})
    EXPECT_FALSE(AnyFileContains(ledger_dir_, secret))
        << "found \"" << secret << "\" in clear under " << ledger_dir_;
  // The clear fields around them are stored as they are.
  EXPECT_TRUE(AnyFileContains(ledger_dir_ + "/log", "130111200201"));
  EXPECT_TRUE(AnyFileContains(ledger_dir_ + "/log", "c-1"));
}

TEST_F(CaseEventLedger, TheMasterKeyOpensWhatWasSealedExactlyAsWritten) {
  const std::string opened = CaseOpenedJson("c-1", kName);
  const std::string note = std::string(R"({"text":")") + kNote + "\"}";
  const std::string risk = R"({"level":"high","rationale":"no adult at home for 3 weeks"})";
  const std::string follow_up =
      R"({"followUpId":"f-1","kind":"home_visit","neededBy":"2026-03-17T00:00:00Z","note":"bring forms"})";
  {
    auto ledger = Open(key_);
    ASSERT_TRUE(ledger
                    ->Append(Request("case-1", ExpectedVersion::NoStream(),
                                     {CaseEvent("CaseOpened", opened), CaseEvent("NoteAdded", note),
                                      CaseEvent("RiskAssessed", risk),
                                      CaseEvent("FollowUpScheduled", follow_up)}))
                    .ok());
  }
  // A new process with the key (here: a reader) sees each field as it was written.
  auto reader = Open(key_, /*read_only=*/true);
  auto events = reader->ReadStream("case-1", 0, Direction::kForward, 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  const std::string written[] = {opened, note, risk, follow_up};
  for (size_t i = 0; i < 4; ++i) {
    const EventType* type = FindEventType((*events)[i].event.type);
    auto expected = PayloadFromJson(*type, written[i]);
    auto clear = reader->OpenPersonalFields((*events)[i]);
    ASSERT_TRUE(clear.ok()) << clear.status().ToString();
    EXPECT_EQ(*clear, *expected) << "event " << i << " does not open to what was written";
    EXPECT_NE((*events)[i].event.payload, *expected) << "event " << i << " was stored unsealed";
  }
  EXPECT_NE(DataOf(*reader, (*events)[0]).find(kName), std::string::npos);
}

TEST_F(CaseEventLedger, EveryEventTypeReadsBackAsItWasAppended) {
  const auto& samples = testing::EventSamples();
  {
    auto ledger = Open(key_);
    for (const EventType& type : EventCatalogue()) {
      auto r = ledger->Append(
          Request("case-1", ExpectedVersion::Any(), {CaseEvent(type.name, samples.at(type.name))}));
      if (type.name == "ErasureRequested" || type.name == "ErasureCompleted") {
        // Only `caseledger erase` writes these (erasure_test): a completion means the keys
        // are gone.
        ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument) << type.name;
        EXPECT_NE(r.status().message().find("caseledger erase"), std::string::npos)
            << r.status().ToString();
        continue;
      }
      ASSERT_TRUE(r.ok()) << type.name << ": " << r.status().ToString();
    }
  }
  auto reader = Open(key_, /*read_only=*/true);
  auto events = reader->ReadAll(1, 1000);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), EventCatalogue().size() - 2);
  for (const RecordedEvent& r : *events) {
    const EventType* type = FindEventType(r.event.type);
    auto clear = reader->OpenPersonalFields(r);
    ASSERT_TRUE(clear.ok()) << r.event.type << ": " << clear.status().ToString();
    EXPECT_EQ(*clear, *PayloadFromJson(*type, samples.at(type->name))) << r.event.type;
    EXPECT_EQ(*PayloadToJson(*type, *clear),
              *PayloadToJson(*type, *PayloadFromJson(*type, samples.at(type->name))))
        << r.event.type;
    EXPECT_EQ(r.event.payload == *clear, !CarriesPersonalData(*type, *clear))
        << r.event.type << ": stored sealed exactly when it carries a personal field";
  }
}

TEST_F(CaseEventLedger, WithoutTheMasterKeyPersonalFieldsStaySealedAndCannotBeWritten) {
  {
    auto ledger = Open(key_);
    ASSERT_TRUE(ledger
                    ->Append(Request("case-1", ExpectedVersion::NoStream(),
                                     {CaseEvent("CaseOpened", CaseOpenedJson("c-1", kName))}))
                    .ok());
  }
  ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
  auto ledger = Open("");
  ASSERT_NE(ledger, nullptr);
  // Reading works; the personal fields show as sealed.
  auto events = ledger->ReadStream("case-1", 0, Direction::kForward, 10);
  ASSERT_TRUE(events.ok());
  auto opened = ledger->OpenPersonalFields(events->at(0));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, events->at(0).event.payload) << "nothing opens without the master key";
  auto stats = ledger->GetStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->holds_master_key);
  const std::string data = DataOf(*ledger, events->at(0));
  EXPECT_EQ(data.find(kName), std::string::npos);
  EXPECT_NE(data.find(R"("name":{"sealed":")"), std::string::npos) << data;
  EXPECT_NE(data.find(R"("childRef":"c-1")"), std::string::npos) << data;
  // Appending personal data is refused with a clear reason, and nothing is written; an
  // event without personal fields still goes in.
  const Position before = ledger->CommittedPosition();
  auto refused = ledger->Append(Request("case-1", ExpectedVersion::Any(),
                                        {CaseEvent("RiskAssessed", R"({"level":"low"})"),
                                         CaseEvent("NoteAdded", R"({"text":"x"})")}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("master key"), std::string::npos)
      << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("event 1 (NoteAdded"), std::string::npos)
      << refused.status().ToString();
  EXPECT_EQ(ledger->CommittedPosition(), before);
  EXPECT_TRUE(ledger
                  ->Append(Request("case-1", ExpectedVersion::Exact(0),
                                   {CaseEvent("RiskAssessed", R"({"level":"low"})")}))
                  .ok());
}

TEST_F(CaseEventLedger, AWrongOrMalformedMasterKeyIsRefusedAtOpen) {
  const std::string other = dir_.Sub("other.key");
  ASSERT_TRUE(CreateMasterKeyFile(other).ok());
  auto wrong = Ledger::Open(ledger_dir_, KeyOptions(other));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("wrong master key"), std::string::npos)
      << wrong.status().ToString();

  const std::string malformed = dir_.Sub("malformed.key");
  std::ofstream(malformed) << "not a key\n";
  auto bad = Ledger::Open(ledger_dir_, KeyOptions(malformed));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(malformed), std::string::npos) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("64 hexadecimal digits"), std::string::npos)
      << bad.status().ToString();

  auto missing = Ledger::Open(ledger_dir_, KeyOptions(dir_.Sub("nope.key")));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.key"), std::string::npos)
      << missing.status().ToString();
}

TEST(CaseEventLedgerCreate, ACaseEventLedgerCannotBeCreatedWithoutAMasterKey) {
  TempDir dir;
  ::unsetenv("CASELEDGER_MASTER_KEY_FILE");
  CreateOptions create;
  Status s = Ledger::Create(dir.Sub("ledger"), create);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("master key"), std::string::npos) << s.ToString();
  EXPECT_FALSE(fs::exists(dir.Sub("ledger/meta/ledger")))
      << "a half-created ledger was left behind";
  EXPECT_TRUE(CreateMasterKeyFile(dir.Sub("k")).ok());
  EXPECT_EQ(CreateMasterKeyFile(dir.Sub("k")).code(), StatusCode::kAlreadyExists)
      << "a master key was overwritten";
}

TEST_F(CaseEventLedger, OnlyCatalogueEventsWithTheirRequiredFieldsGetIn) {
  auto ledger = Open(key_);
  auto unknown = ledger->Append(
      Request("case-1", ExpectedVersion::Any(), {testing::Event("CaseOpenned", "")}));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown event type \"CaseOpenned\""),
            std::string::npos)
      << unknown.status().ToString();
  auto garbage = ledger->Append(
      Request("case-1", ExpectedVersion::Any(), {testing::Event("NoteAdded", "12345678")}));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  // A whole request is refused if one event lacks a required field (an empty NoteAdded).
  auto partial = ledger->Append(Request(
      "case-1", ExpectedVersion::Any(),
      {CaseEvent("CaseOpened", CaseOpenedJson("c-1", kName)),
       testing::Event("NoteAdded",
                      *PayloadFromJson(*FindEventType("RiskAssessed"), R"({"level":"low"})"))}));
  ASSERT_FALSE(partial.ok());
  EXPECT_NE(partial.status().message().find("event 1"), std::string::npos)
      << partial.status().ToString();
  EXPECT_EQ(ledger->CommittedPosition(), 0u);
}

TEST_F(CaseEventLedger, ARetryWithPersonalFieldsIsRecognisedAndAChangedOneRefused) {
  auto ledger = Open(key_);
  ProposedEvent opened = CaseEvent("CaseOpened", CaseOpenedJson("c-1", kName));
  auto first = ledger->Append(Request("case-1", ExpectedVersion::NoStream(), {opened}));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // Sealing uses a fresh nonce each time; the retry is still recognised, because the
  // content digest is taken before sealing.
  auto retry = ledger->Append(Request("case-1", ExpectedVersion::NoStream(), {opened}));
  ASSERT_TRUE(retry.ok()) << retry.status().ToString();
  EXPECT_TRUE(retry->deduplicated);
  EXPECT_EQ(retry->first_position, first->first_position);
  ProposedEvent changed = opened;
  changed.payload =
      *PayloadFromJson(*FindEventType("CaseOpened"), CaseOpenedJson("c-1", "Zhou Mingyu"));
  auto conflict = ledger->Append(Request("case-1", ExpectedVersion::NoStream(), {changed}));
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.status().code(), StatusCode::kIdempotencyConflict);
  EXPECT_EQ(ledger->CommittedPosition(), 1u);
}

TEST_F(CaseEventLedger, EachChildHasItsOwnKeyAndAReaderSeesKeysMadeAfterItOpened) {
  auto writer = Open(key_);
  auto reader = Open(key_, /*read_only=*/true);  // opened before the keys exist
  ASSERT_TRUE(writer
                  ->Append(Request("case-1", ExpectedVersion::NoStream(),
                                   {CaseEvent("CaseOpened", CaseOpenedJson("c-1", kName))}))
                  .ok());
  ASSERT_TRUE(writer
                  ->Append(Request("case-2", ExpectedVersion::NoStream(),
                                   {CaseEvent("CaseOpened", CaseOpenedJson("c-2", "Wu Lei"))}))
                  .ok());
  ASSERT_TRUE(reader->Refresh().ok());
  auto all = reader->ReadAll(1, 10);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  const std::string one = DataOf(*reader, (*all)[0]), two = DataOf(*reader, (*all)[1]);
  EXPECT_NE(one.find(kName), std::string::npos) << one;
  EXPECT_NE(two.find("Wu Lei"), std::string::npos) << two;
  // Sealed, the two cases name different keys.
  auto sealed_key_id = [&](const RecordedEvent& r) {
    const std::string json = *PayloadToJson(*FindEventType("CaseOpened"), r.event.payload);
    const size_t at = json.find(R"("name":{"sealed":")");
    return at == std::string::npos ? std::string() : json.substr(at + 18, 32);
  };
  EXPECT_EQ(sealed_key_id((*all)[0]).size(), 32u);
  EXPECT_NE(sealed_key_id((*all)[0]), sealed_key_id((*all)[1]));
}

TEST_F(CaseEventLedger, ATornKeyRecordIsDroppedAndADamagedOneIsNamed) {
  {
    auto ledger = Open(key_);
    ASSERT_TRUE(ledger
                    ->Append(Request("case-1", ExpectedVersion::NoStream(),
                                     {CaseEvent("CaseOpened", CaseOpenedJson("c-1", kName))}))
                    .ok());
  }
  const std::string journal = ledger_dir_ + "/keys/journal";
  const auto size = fs::file_size(journal);
  {
    // A crash while a new key was being written: half a record at the end.
    std::ofstream(journal, std::ios::binary | std::ios::app)
        << std::string("\x40\x00\x00\x00partial", 11);
  }
  {
    auto ledger = Open(key_);
    ASSERT_NE(ledger, nullptr);
    EXPECT_EQ(fs::file_size(journal), size) << "the torn record was not cut";
    auto events = ledger->ReadStream("case-1", 0, Direction::kForward, 1);
    ASSERT_TRUE(events.ok());
    EXPECT_NE(DataOf(*ledger, events->at(0)).find(kName), std::string::npos);
    ASSERT_TRUE(ledger
                    ->Append(Request("case-2", ExpectedVersion::NoStream(),
                                     {CaseEvent("CaseOpened", CaseOpenedJson("c-2", "Wu Lei"))}))
                    .ok());
  }
  {
    // A flipped byte inside the first record is damage, not a torn write.
    std::fstream f(journal, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(10);
    f.put('\x7f');
  }
  auto damaged = Ledger::Open(ledger_dir_, KeyOptions(key_));
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.status().code(), StatusCode::kCorruption);
  EXPECT_NE(damaged.status().message().find("journal"), std::string::npos)
      << damaged.status().ToString();
  EXPECT_NE(damaged.status().message().find("offset 0"), std::string::npos)
      << damaged.status().ToString();
}

}  // namespace
}  // namespace caseledger
