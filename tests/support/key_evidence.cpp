#include "key_evidence.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "caseledger/case_events.h"
#include "caseledger/checkpoint.h"
#include "files.h"
#include "seal/key_store.h"
#include "seal/master_key.h"

namespace caseledger::testing {
namespace {

std::string Bytes(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace

std::string CaseOpenedJson(const std::string& child, const std::string& name) {
  return R"({"childRef":")" + child + R"(","name":")" + name +
         R"(","sex":"female","ageBand":"6-11","communityCode":"130111200201",)"
         R"("identificationChannel":"home_visit","owner":"w-1","agency":"county"})";
}

AppendRequest OneEvent(const std::string& stream, const std::string& type,
                       const std::string& json) {
  AppendRequest request;
  request.stream = stream;
  ProposedEvent& e = request.events.emplace_back();
  e.id = EventId::Random();
  e.type = type;
  e.occurred_at = Now();
  auto payload = PayloadFromJson(**LookupEventType(type), json);
  EXPECT_TRUE(payload.ok()) << payload.status().ToString();
  if (payload.ok()) e.payload = *payload;
  return request;
}

std::string EventData(Ledger& ledger, const std::string& stream, StreamVersion version) {
  auto events = ledger.ReadStream(stream, version, Direction::kForward, 1);
  EXPECT_TRUE(events.ok() && events->size() == 1) << stream << "@" << version;
  if (!events.ok() || events->empty()) return "";
  OpenPersonalFieldsWherePossible(ledger, *events);
  auto json =
      PayloadToJson(**LookupEventType(events->front().event.type), events->front().event.payload);
  return json.ok() ? *json : json.status().ToString();
}

std::string FileHolding(const std::string& dir, const std::string& needle) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    if (ReadFile(entry.path().string()).find(needle) != std::string::npos)
      return entry.path().string();
  }
  return "";
}

KeyEvidence EvidenceOf(const std::string& ledger_dir, const std::string& master_key_file,
                       const std::string& stream) {
  KeyEvidence out;
  LedgerOptions options;
  options.master_key_file = master_key_file;
  options.read_only = true;
  auto ledger = Ledger::Open(ledger_dir, options);
  EXPECT_TRUE(ledger.ok()) << ledger.status().ToString();
  if (!ledger.ok()) return out;
  auto events = (*ledger)->ReadStream(stream, 0, Direction::kForward, 1);
  EXPECT_TRUE(events.ok() && !events->empty()) << stream;
  if (!events.ok() || events->empty()) return out;
  // {"sealed": "<key id>"} as stored: the id of the stream's key.
  auto stored = PayloadToJson(**LookupEventType("CaseOpened"), events->front().event.payload);
  EXPECT_TRUE(stored.ok()) << stored.status().ToString();
  if (!stored.ok()) return out;
  const size_t at = stored->find(R"({"sealed":")");
  EXPECT_NE(at, std::string::npos) << *stored;
  if (at == std::string::npos) return out;
  const std::string hex = stored->substr(at + 11, 32);
  seal::KeyId id{};
  EXPECT_TRUE(HexToBytes(hex, id, "key id").ok()) << hex;
  auto master = seal::LoadMasterKey(master_key_file);
  EXPECT_TRUE(master.ok());
  if (!master.ok()) return out;
  auto store = seal::KeyStore::Open(ledger_dir + "/keys", *master, (*ledger)->LedgerId(), false);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return out;
  auto key = (*store)->Find(id);
  EXPECT_NE(key, nullptr);
  if (!key) return out;
  out.key = Bytes(key->key.data(), key->key.size());
  // Journal body: id (16), u16 + stream, u16 + child ref, nonce (24), sealed key (48).
  const std::string journal = ReadFile(ledger_dir + "/keys/journal");
  const size_t body = journal.find(Bytes(id.data(), id.size()));
  EXPECT_NE(body, std::string::npos);
  if (body == std::string::npos) return out;
  const size_t nonce = body + 16 + 2 + stream.size() + 2 + key->child_ref.size();
  out.sealed_record = journal.substr(nonce, 24 + 48);
  EXPECT_EQ(out.sealed_record.size(), 72u);
  return out;
}

}  // namespace caseledger::testing
