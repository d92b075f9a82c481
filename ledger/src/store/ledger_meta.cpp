#include "store/ledger_meta.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace caseledger::store {
namespace {

std::string Hex(const uint8_t* p, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), p, n);
  out.pop_back();
  return out;
}

// Writes `bytes` to `path` (new file, `mode`), fsyncs it and its directory.
Status WriteNewFileDurably(const std::string& path, std::string_view bytes, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST) return Status::AlreadyExists(path + " already exists");
    return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  }
  ssize_t n = ::write(fd, bytes.data(), bytes.size());
  int err = errno;
  bool ok = n == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
  if (!ok && n >= 0) err = errno;
  ::close(fd);
  if (!ok) return Status::IOError("cannot write " + path + ": " + std::strerror(err));
  std::string dir = std::filesystem::path(path).parent_path().string();
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

const char* EventSchemaName(EventSchema events) {
  return events == EventSchema::kOpaque ? "opaque" : "case-events-v1";
}

}  // namespace

Result<LedgerMeta> CreateLedgerMeta(const std::string& meta_dir, uint64_t segment_bytes,
                                    EventSchema events) {
  LedgerMeta meta;
  meta.segment_bytes = segment_bytes;
  meta.events = events;
  meta.created_at = Now();
  randombytes_buf(meta.ledger_id.data(), meta.ledger_id.size());
  randombytes_buf(meta.digest_key.data(), meta.digest_key.size());
  std::error_code ec;
  std::filesystem::create_directories(meta_dir, ec);
  if (ec) return Status::IOError("cannot create " + meta_dir + ": " + ec.message());
  // The key first: a ledger file without its key would be unusable.
  CASELEDGER_RETURN_IF_ERROR(WriteNewFileDurably(
      meta_dir + "/digest.key",
      std::string_view(reinterpret_cast<const char*>(meta.digest_key.data()), 32), 0600));
  std::ostringstream text;
  text << "# CaseLedger ledger identity, written once by `caseledger init`. Do not edit.\n"
       << "format_version = " << meta.format_version << "\n"
       << "ledger_id = " << Hex(meta.ledger_id.data(), 16) << "\n"
       << "segment_bytes = " << meta.segment_bytes << "\n"
       << "created_at = " << FormatTimestamp(meta.created_at) << "\n"
       << "events = " << EventSchemaName(meta.events) << "\n";
  CASELEDGER_RETURN_IF_ERROR(WriteNewFileDurably(meta_dir + "/ledger", text.str(), 0644));
  return meta;
}

Result<LedgerMeta> ReadLedgerMeta(const std::string& meta_dir) {
  const std::string path = meta_dir + "/ledger";
  std::ifstream in(path);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return Status::NotFound("no ledger here (" + path +
                              " does not exist); create one with `caseledger init`");
    return Status::IOError("cannot read " + path);
  }
  std::map<std::string, std::string> fields;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto eq = line.find(" = ");
    if (eq == std::string::npos)
      return Status::Corruption(path + " line " + std::to_string(line_no) +
                                ": expected `key = value`");
    fields[line.substr(0, eq)] = line.substr(eq + 3);
  }
  auto field = [&](const char* key) -> Result<std::string> {
    auto it = fields.find(key);
    if (it == fields.end()) return Status::Corruption(path + ": missing " + key);
    return it->second;
  };
  LedgerMeta meta;
  CASELEDGER_ASSIGN_OR_RETURN(std::string version, field("format_version"));
  CASELEDGER_ASSIGN_OR_RETURN(std::string id, field("ledger_id"));
  CASELEDGER_ASSIGN_OR_RETURN(std::string seg, field("segment_bytes"));
  CASELEDGER_ASSIGN_OR_RETURN(std::string created, field("created_at"));
  CASELEDGER_ASSIGN_OR_RETURN(std::string events, field("events"));
  if (events == EventSchemaName(EventSchema::kCaseEvents))
    meta.events = EventSchema::kCaseEvents;
  else if (events == EventSchemaName(EventSchema::kOpaque))
    meta.events = EventSchema::kOpaque;
  else
    return Status::Corruption(path + ": events = " + events + " is not case-events-v1 or opaque");
  auto number = [&](const std::string& s, uint64_t& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
  };
  uint64_t v = 0;
  if (!number(version, v)) return Status::Corruption(path + ": format_version is not a number");
  if (v != kLedgerFormatVersion)
    return Status::Corruption(path + ": format version " + version +
                              " is not supported (this build reads " +
                              std::to_string(kLedgerFormatVersion) + ")");
  meta.format_version = static_cast<uint32_t>(v);
  size_t len = 0;
  if (id.size() != 32 ||
      sodium_hex2bin(meta.ledger_id.data(), 16, id.data(), id.size(), nullptr, &len, nullptr) !=
          0 ||
      len != 16)
    return Status::Corruption(path + ": ledger_id is not 32 hex digits");
  if (!number(seg, meta.segment_bytes) || meta.segment_bytes < 4096 ||
      meta.segment_bytes > (uint64_t{1} << 32) || meta.segment_bytes % 4096 != 0)
    return Status::Corruption(path + ": segment_bytes must be a multiple of 4096 up to 4 GiB");
  CASELEDGER_ASSIGN_OR_RETURN(meta.created_at, ParseTimestamp(created));

  const std::string key_path = meta_dir + "/digest.key";
  std::ifstream key_in(key_path, std::ios::binary);
  if (!key_in) return Status::Corruption("cannot read " + key_path);
  key_in.read(reinterpret_cast<char*>(meta.digest_key.data()), 32);
  if (key_in.gcount() != 32 || key_in.peek() != EOF)
    return Status::Corruption(key_path + " is not 32 bytes");
  return meta;
}

}  // namespace caseledger::store
