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

}  // namespace caseledger::testing
