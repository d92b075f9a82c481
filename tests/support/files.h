// Reading, writing and searching files in tests, and finding a record's frame in a segment
// file so that a test can damage exactly that record on disk.
//
//   std::string bytes = ReadFile(path);
//   uint32_t size = 0;
//   uint64_t at = FrameOffset(log::SegmentPath(dir + "/log", 0), 42, &size);
#pragma once

#include <cstdint>
#include <string>

#include "caseledger/event.h"

namespace caseledger::testing {

std::string ReadFile(const std::string& path);  // "" if it cannot be read
// Replaces the file's contents; ADD_FAILURE if it cannot be written.
void WriteFile(const std::string& path, const std::string& bytes);
bool Contains(const std::string& text, const std::string& what);

// The offset in the segment file of the frame holding `position` (0 if none), and its
// record's size in *record_bytes.
uint64_t FrameOffset(const std::string& segment, Position position, uint32_t* record_bytes);

// Really alters the record of `position` in segment 0 of the ledger in `ledger_dir`: its
// payload's "event number" becomes "Event number" (the test events' text). With
// `fix_checksum` the frame's checksum is recomputed too, as a careful forger would: then
// only the Merkle tree can tell.
void FlipPayloadByte(const std::string& ledger_dir, Position position, bool fix_checksum);

}  // namespace caseledger::testing
