#include "files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "envelope/envelope_codec.h"
#include "log/frame.h"
#include "log/segment.h"

namespace caseledger::testing {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
  if (!out.good()) ADD_FAILURE() << "cannot write " << path;
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

uint64_t FrameOffset(const std::string& segment, Position position, uint32_t* record_bytes) {
  std::ifstream in(segment, std::ios::binary);
  std::vector<uint64_t> words(std::filesystem::file_size(segment) / 8);
  in.read(reinterpret_cast<char*>(words.data()), static_cast<std::streamsize>(words.size() * 8));
  const auto* data = reinterpret_cast<const std::byte*>(words.data());
  size_t off = log::kSegmentHeaderBytes;
  while (true) {
    log::FrameParse p = log::ParseFrame(data + off, words.size() * 8 - off);
    if (p.outcome != log::FrameParse::Outcome::kRecord) return 0;
    auto view = envelope::DecodeRecord(p.record);
    if (!view.ok()) return 0;
    if (view->position == position) {
      *record_bytes = static_cast<uint32_t>(p.record.size());
      return off;
    }
    off += p.framed_size;
  }
}

void FlipPayloadByte(const std::string& ledger_dir, Position position, bool fix_checksum) {
  const std::string segment = log::SegmentPath(ledger_dir + "/log", 0);
  uint32_t record_bytes = 0;
  const uint64_t offset = FrameOffset(segment, position, &record_bytes);
  ASSERT_GT(offset, 0u);
  const std::string bytes = ReadFile(segment);
  std::string record = bytes.substr(offset + log::kFrameHeaderBytes, record_bytes);
  const size_t at = record.find("event number");
  ASSERT_NE(at, std::string::npos);
  record[at] = 'E';
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset + log::kFrameHeaderBytes + at));
  f.write(&record[at], 1);
  if (fix_checksum) {
    const uint64_t sum = log::FrameChecksum(
        std::span(reinterpret_cast<const std::byte*>(record.data()), record.size()));
    char le[8];
    for (int i = 0; i < 8; ++i) le[i] = static_cast<char>(sum >> (8 * i));
    f.seekp(static_cast<std::streamoff>(offset + 8));
    f.write(le, 8);
  }
  f.close();
  ASSERT_NE(ReadFile(segment), bytes);
}

}  // namespace caseledger::testing
