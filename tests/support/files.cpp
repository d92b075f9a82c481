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

}  // namespace caseledger::testing
