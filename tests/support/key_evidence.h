// What the erasure and key-backup tests need to prove a child's personal data gone for
// good: case events built from the catalogue's JSON, an event read back with its personal
// fields opened where the ledger can, the child's key and its sealed record read white-box
// from the key store, and a search of the raw files for them.
//
//   const KeyEvidence first = EvidenceOf(dir, dir + ".key", "case-1");  // before the erasure
//   ...                                                                 // erase, restore, ...
//   EXPECT_EQ(FileHolding(dir, first.sealed_record), "");
//   EXPECT_NE(EventData(*ledger, "case-1", 0).find(R"({"erased":")"), std::string::npos);
#pragma once

#include <string>

#include "caseledger/ledger.h"

namespace caseledger::testing {

// The JSON of a CaseOpened event of child `child` named `name` (a girl aged 6-11, opened
// on a home visit by w-1 of the county).
std::string CaseOpenedJson(const std::string& child, const std::string& name);

// An append of one event of `type` to `stream` occurring now, its payload from the
// catalogue's JSON (a payload the catalogue refuses fails the test).
AppendRequest OneEvent(const std::string& stream, const std::string& type, const std::string& json);

// The JSON data of event `version` of `stream`, personal fields opened where `ledger` can
// (sealed without its master key, erased once the child's key is gone). Fails the test and
// returns "" if there is no such event.
std::string EventData(Ledger& ledger, const std::string& stream, StreamVersion version);

// The file under `dir` holding `needle` anywhere in its bytes, or "" if none does.
std::string FileHolding(const std::string& dir, const std::string& needle);

// The key that seals case `stream` (32 bytes) and its sealed record in DIR/keys/journal
// (nonce and sealed key, 72 bytes): the bytes an erasure must leave in no file.
struct KeyEvidence {
  std::string key, sealed_record;
};

// Reads the KeyEvidence of case `stream` white-box from the ledger in `ledger_dir` (opened
// read-only with `master_key_file`) and its key store, so it must be taken before anything
// is erased. Fails the test and leaves what it could not read empty.
KeyEvidence EvidenceOf(const std::string& ledger_dir, const std::string& master_key_file,
                       const std::string& stream);

}  // namespace caseledger::testing
