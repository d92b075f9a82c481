// VerifyArchive: check an archive offline against a public key and held checkpoints.
//
// One pass over the file: the header, the checkpoint section (whose tree sizes tell which
// roots to keep), then every frame in order, checked and hashed. The checkpoints are judged
// after the pass, against the roots recomputed at their sizes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <unordered_map>

#include "archive/archive_format.h"
#include "caseledger/archive.h"
#include "envelope/envelope_codec.h"
#include "log/frame.h"
#include "merkle/frontier.h"
#include "merkle/hashing.h"
#include "util/endian.h"

namespace caseledger {
inline namespace v1 {

bool ArchiveVerification::ok() const {
  if (broken_from != 0 || vouched != events || events != declared_events) return false;
  return std::all_of(checkpoints.begin(), checkpoints.end(),
                     [](const ArchiveCheckpointResult& r) { return r.ok; });
}

namespace {

// Sequential reads of the archive file, knowing how many bytes are left.
class ArchiveFile {
 public:
  ~ArchiveFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) {
      if (errno == ENOENT) return Status::NotFound(path + " does not exist");
      return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
      return Status::IOError("cannot stat " + path + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a regular file");
    size_ = static_cast<uint64_t>(st.st_size);
    return Status::Ok();
  }
  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return size_ - offset_; }
  // Reads exactly `n` bytes (n <= remaining()).
  Status Read(void* out, size_t n) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      if (buffered_ == consumed_) {
        const ssize_t got = ::read(fd_, buffer_.data(), buffer_.size());
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return Status::IOError("cannot read " + path_ + ": " + std::strerror(errno));
        if (got == 0) return Status::IOError(path_ + " shrank while it was read");
        buffered_ = static_cast<size_t>(got);
        consumed_ = 0;
      }
      const size_t take = std::min(n, buffered_ - consumed_);
      std::memcpy(p, buffer_.data() + consumed_, take);
      consumed_ += take;
      offset_ += take;
      p += take;
      n -= take;
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0, offset_ = 0;
  std::vector<char> buffer_ = std::vector<char>(4u << 20);
  size_t buffered_ = 0, consumed_ = 0;
};

// The record checks, position after position; the first failure breaks the evidence.
class RecordChecker {
 public:
  // An empty string when `v` may follow what was checked before, else why not.
  std::string Check(Position pos, const EventView& v) {
    if (v.position != pos)
      return "the archive holds the record of position " + std::to_string(v.position) +
             " here: events were removed, inserted or reordered";
    auto it = versions_.find(v.stream);  // no allocation for a stream seen before
    if (it == versions_.end()) it = versions_.emplace(std::string(v.stream), kNoStream).first;
    if (v.stream_version != it->second + 1)
      return "stream " + it->first + " goes from version " + std::to_string(it->second) + " to " +
             std::to_string(v.stream_version) +
             ": an event of it was removed, inserted or reordered";
    if (v.recorded_at < last_recorded_)
      return "recorded at " + FormatTimestamp(v.recorded_at) +
             ", earlier than the event before it: events were reordered or forged";
    if (pos > append_last_) {
      if (v.append_last < pos)
        return "the record says its append ended at position " + std::to_string(v.append_last);
      append_last_ = v.append_last;
    } else if (v.append_last != append_last_) {
      return "the record says its append ends at position " + std::to_string(v.append_last) +
             ", the append it continues at " + std::to_string(append_last_);
    }
    it->second = v.stream_version;
    last_recorded_ = v.recorded_at;
    return {};
  }
  Position append_last() const { return append_last_; }

 private:
  struct StreamHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, StreamVersion, StreamHash, std::equal_to<>> versions_;
  Timestamp last_recorded_{};
  Position append_last_ = 0;
};

// Parses the checkpoint section: one result per line, the parsed checkpoint when it reads.
std::vector<ArchiveCheckpointResult> ParseCheckpointSection(std::string_view section) {
  std::vector<ArchiveCheckpointResult> out;
  size_t line_no = 0;
  while (!section.empty()) {
    ++line_no;
    ArchiveCheckpointResult r;
    r.source = "archive checkpoint " + std::to_string(line_no);
    const size_t end = section.find('\n');
    const std::string_view line = section.substr(0, end);
    section.remove_prefix(end == std::string_view::npos ? section.size() : end + 1);
    if (end == std::string_view::npos) {
      r.detail = "damaged: the checkpoint section does not end with a newline";
    } else if (auto parsed = CheckpointFromJson(line); !parsed.ok()) {
      r.detail = "damaged: " + parsed.status().message();
    } else {
      r.checkpoint = *parsed;
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Result<ArchiveVerification> VerifyArchive(const std::string& path, const PublicKey& trusted_key,
                                          std::span<const HeldCheckpoint> held,
                                          const std::function<void(uint64_t, uint64_t)>& progress) {
  const auto started = std::chrono::steady_clock::now();
  ArchiveFile file;
  CASELEDGER_RETURN_IF_ERROR(file.Open(path));
  auto context = [&](const Status& s) { return s.WithContext(path); };
  if (file.remaining() < archive::kHeaderBytes)
    return context(
        Status::InvalidArgument("not a CaseLedger archive: " + std::to_string(file.remaining()) +
                                " bytes, shorter than an archive's header"));
  std::array<std::byte, archive::kHeaderBytes> header_bytes{};
  CASELEDGER_RETURN_IF_ERROR(file.Read(header_bytes.data(), header_bytes.size()));
  auto header = archive::DecodeHeader(header_bytes);
  if (!header.ok()) return context(header.status());
  const uint64_t section_bytes = archive::FramesOffset(header->checkpoint_bytes) - file.offset();
  if (file.remaining() < section_bytes)
    return context(
        Status::InvalidArgument("the archive ends inside its checkpoint section (its header says " +
                                std::to_string(header->checkpoint_bytes) + " bytes): truncated"));
  std::string section(section_bytes, '\0');
  CASELEDGER_RETURN_IF_ERROR(file.Read(section.data(), section.size()));
  if (section.find_first_not_of('\0', header->checkpoint_bytes) != std::string::npos)
    return context(Status::InvalidArgument(
        "the archive is damaged: the padding after its checkpoint section is not zeros"));
  section.resize(header->checkpoint_bytes);

  ArchiveVerification result;
  result.ledger_id = header->ledger_id;
  result.declared_events = header->events;
  result.checkpoints = ParseCheckpointSection(section);
  for (const HeldCheckpoint& h : held)
    result.checkpoints.push_back({h.source, h.checkpoint, true, false, ""});

  // The roots to keep: those at the size of some checkpoint.
  std::map<uint64_t, Hash256> roots;
  for (const auto& r : result.checkpoints)
    if (r.checkpoint) roots.emplace(r.checkpoint->tree_size, Hash256{});
  roots[0] = merkle::EmptyTreeRoot();

  // Every frame is read and hashed while the framing holds, also after a record that breaks
  // the order: the checkpoints then tell how far back the damage may reach.
  merkle::MerkleFrontier frontier;
  RecordChecker checker;
  Position structural = 0;  // the first record that breaks the rules, or the framing
  bool framing_lost = false;
  std::vector<uint64_t> frame;  // 8-byte aligned, as Cap'n Proto wants its words
  auto breaks = [&](Position pos, uint64_t offset, std::string why) {
    if (structural == 0) structural = pos;
    result.breaks.push_back("position " + std::to_string(pos) + " (archive offset " +
                            std::to_string(offset) + "): " + std::move(why));
  };
  for (Position pos = 1; pos <= header->events; ++pos) {
    const uint64_t frame_offset = file.offset();
    if (file.remaining() < log::kFrameHeaderBytes) {
      breaks(pos, frame_offset,
             "the archive ends here, but its header says it holds " +
                 std::to_string(header->events) + " events: truncated");
      framing_lost = true;
      break;
    }
    std::array<std::byte, log::kFrameHeaderBytes> head{};
    CASELEDGER_RETURN_IF_ERROR(file.Read(head.data(), head.size()));
    const uint64_t length = LoadLE32(head.data());
    if (length == 0 || length % 8 != 0 ||
        log::FramedSize(length) - log::kFrameHeaderBytes > file.remaining()) {
      breaks(pos, frame_offset,
             length == 0 || length % 8 != 0
                 ? "not a frame (length " + std::to_string(length) + ")"
                 : "the frame runs past the end of the archive: truncated");
      framing_lost = true;
      break;
    }
    frame.resize(log::FramedSize(length) / 8);
    auto* bytes = reinterpret_cast<std::byte*>(frame.data());
    std::memcpy(bytes, head.data(), head.size());
    CASELEDGER_RETURN_IF_ERROR(file.Read(bytes + head.size(), frame.size() * 8 - head.size()));
    const log::FrameParse parse = log::ParseFrame(bytes, frame.size() * 8);
    if (parse.outcome == log::FrameParse::Outcome::kBadFrame ||
        parse.outcome == log::FrameParse::Outcome::kEnd) {
      breaks(pos, frame_offset, "not a frame: " + parse.error);
      framing_lost = true;
      break;
    }
    const std::span<const std::byte> record{bytes + log::kFrameHeaderBytes, length};
    if (structural == 0) {
      if (parse.outcome == log::FrameParse::Outcome::kBadChecksum) {
        breaks(pos, frame_offset, "the record's bytes do not match its frame checksum");
      } else {
        auto view = envelope::DecodeRecord(record);
        std::string why = view.ok() ? checker.Check(pos, *view) : view.status().message();
        if (!why.empty()) breaks(pos, frame_offset, std::move(why));
      }
    }
    frontier.Append(merkle::LeafHash(record), {});
    if (auto it = roots.find(pos); it != roots.end()) it->second = frontier.Head().root;
    result.events = pos;
    result.record_bytes += record.size();
    if (progress && (pos & 0xFFFF) == 0) progress(pos, header->events);
  }
  if (structural == 0) {
    if (checker.append_last() > result.events)
      breaks(result.events, file.offset(),
             "the last append ends at position " + std::to_string(checker.append_last()) +
                 ", beyond the end of the archive: cut in the middle of an append");
    else if (file.remaining() > 0)
      breaks(
          result.events + 1, file.offset(),
          std::to_string(file.remaining()) + " bytes follow the last event the header announces");
  }
  result.tree = frontier.Head();
  if (progress) progress(result.events, header->events);

  // The checkpoints, against the trusted key and the roots recomputed at their sizes.
  std::vector<Checkpoint> chain;
  for (const HeldCheckpoint& h : held) chain.push_back(h.checkpoint);
  for (const auto& r : result.checkpoints)
    if (r.checkpoint && !r.held) chain.push_back(*r.checkpoint);
  const CheckpointTrust trust(trusted_key, chain, header->ledger_id);
  std::vector<uint64_t> mismatched;
  Position cut_short = 0;  // the position after the last event, when a checkpoint covers more
  for (auto& r : result.checkpoints) {
    if (!r.checkpoint) continue;  // damaged: its detail says why
    const Checkpoint& cp = *r.checkpoint;
    if (Status s = trust.Verify(cp); !s.ok()) {
      r.detail = s.message();
      continue;
    }
    const std::string signed_by =
        ", signed by " + KeyFingerprint(cp.signer) + " at " + FormatTimestamp(cp.time);
    if (cp.tree_size > result.events) {
      if (framing_lost) {
        r.detail = "covers " + std::to_string(cp.tree_size) +
                   " events; cannot be checked: the archive's framing is lost at position " +
                   std::to_string(result.events + 1) + signed_by;
      } else {
        r.detail = (r.held ? "rolled back behind this checkpoint you hold: the archive has "
                           : "the archive is cut short: it has ") +
                   std::to_string(result.events) + " events, the checkpoint covers " +
                   std::to_string(cp.tree_size) + signed_by;
        cut_short = result.events + 1;
      }
      continue;
    }
    if (roots.at(cp.tree_size) != cp.root) {
      r.detail = "the archive's events 1.." + std::to_string(cp.tree_size) + " have root " +
                 HashToHex(roots.at(cp.tree_size)) + ", the checkpoint says " + HashToHex(cp.root) +
                 signed_by;
      mismatched.push_back(cp.tree_size);
      continue;
    }
    r.ok = true;
    r.detail = "vouches for positions 1.." + std::to_string(cp.tree_size) + signed_by;
    result.vouched = std::max(result.vouched, cp.tree_size);
  }

  // Where the evidence breaks first. Each finding bounds it from above: the first record out
  // of place, the smallest checkpoint that no longer matches, the end of an archive cut
  // short. A mismatch bounds it from below too: the checkpoints below it that still match
  // vouch for their events.
  Position upper = structural;
  auto bound = [&](Position pos) {
    if (pos != 0 && (upper == 0 || pos < upper)) upper = pos;
  };
  Position lower = 0;
  if (!mismatched.empty()) {
    const uint64_t first_bad = *std::min_element(mismatched.begin(), mismatched.end());
    uint64_t good = 0;
    for (const auto& r : result.checkpoints)
      if (r.ok && r.checkpoint->tree_size < first_bad)
        good = std::max(good, r.checkpoint->tree_size);
    bound(first_bad);
    lower = good + 1;
    result.breaks.push_back(
        "positions " + std::to_string(good + 1) + ".." + std::to_string(first_bad) +
        ": an event among them was altered, removed, inserted or reordered: " +
        (good ? "the events up to " + std::to_string(good) + " match a signed checkpoint, "
              : std::string()) +
        "those up to " + std::to_string(first_bad) + " do not match the one signed at that size");
  }
  if (cut_short != 0) {
    bound(cut_short);
    result.breaks.push_back("position " + std::to_string(cut_short) +
                            ": the archive ends before a signed checkpoint does: its events after "
                            "position " +
                            std::to_string(cut_short - 1) + " were removed (rolled back)");
  }
  if (upper != 0) {
    result.broken_to = upper;
    result.broken_from = lower != 0 && lower < upper ? lower : upper;
  }
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace v1
}  // namespace caseledger
