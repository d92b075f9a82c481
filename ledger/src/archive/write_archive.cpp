// WriteArchive: the log up to a position and the ledger's checkpoints, in one file.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "archive/archive_format.h"
#include "caseledger/archive.h"
#include "caseledger/ledger.h"
#include "checkpoint/file_util.h"
#include "log/frame.h"
#include "merkle/frontier.h"
#include "merkle/hashing.h"

namespace caseledger {
inline namespace v1 {
namespace {

// A new file written through a buffer; removed unless Finish() succeeds.
class NewFile {
 public:
  ~NewFile() {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(path_.c_str());
    }
  }
  Status Create(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ >= 0) return Status::Ok();
    if (errno == EEXIST) return Status::AlreadyExists(path + " already exists; not overwritten");
    return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
  }
  Status Write(const void* data, size_t size) {
    const auto* p = static_cast<const std::byte*>(data);
    buffer_.insert(buffer_.end(), p, p + size);
    return buffer_.size() >= (4u << 20) ? Flush() : Status::Ok();
  }
  std::vector<std::byte>& buffer() { return buffer_; }
  Status Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
      done += static_cast<size_t>(n);
      bytes_ += static_cast<uint64_t>(n);
    }
    buffer_.clear();
    return Status::Ok();
  }
  Result<uint64_t> Finish() {
    CASELEDGER_RETURN_IF_ERROR(Flush());
    if (::fdatasync(fd_) != 0)
      return Status::IOError("cannot sync " + path_ + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    checkpoint::SyncParentDir(path_);
    return bytes_;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::vector<std::byte> buffer_;
  uint64_t bytes_ = 0;
};

}  // namespace

Result<ArchiveSummary> WriteArchive(Ledger& ledger, const std::string& ledger_dir,
                                    const std::string& path, uint64_t events) {
  const Position committed = ledger.CommittedPosition();
  if (events == 0) events = committed;
  if (events > committed)
    return Status::InvalidArgument("cannot export " + std::to_string(events) +
                                   " events: the ledger has " + std::to_string(committed));
  CASELEDGER_ASSIGN_OR_RETURN(const TreeHead tree, ledger.GetTreeHeadAt(events));

  ArchiveSummary summary;
  summary.events = events;
  summary.tree = tree;
  CASELEDGER_ASSIGN_OR_RETURN(auto stored, ReadCheckpointStore(ledger_dir));
  std::string section;
  for (const Checkpoint& cp : stored.checkpoints) {
    if (cp.ledger_id != ledger.LedgerId() || cp.tree_size > events) continue;
    section += CheckpointToJson(cp);
    section += '\n';
    summary.checkpoints++;
    summary.vouched = std::max(summary.vouched, cp.tree_size);
  }

  archive::Header header;
  header.ledger_id = ledger.LedgerId();
  header.events = events;
  header.checkpoint_bytes = section.size();
  header.exported_at = Now();
  NewFile out;
  CASELEDGER_RETURN_IF_ERROR(out.Create(path));
  const auto encoded = archive::EncodeHeader(header);
  CASELEDGER_RETURN_IF_ERROR(out.Write(encoded.data(), encoded.size()));
  section.resize(archive::FramesOffset(section.size()) - archive::kHeaderBytes, '\0');
  CASELEDGER_RETURN_IF_ERROR(out.Write(section.data(), section.size()));

  // The records are hashed on the way out: an archive is written only of a log that still
  // has the tree the ledger stored (and signed).
  merkle::MerkleFrontier frontier;
  Status write_status;
  if (events > 0) {
    CASELEDGER_RETURN_IF_ERROR(ledger.ScanAll(1, events, [&](const EventView& v) {
      frontier.Append(merkle::LeafHash(v.record), {});
      std::vector<std::byte>& buffer = out.buffer();
      const size_t at = buffer.size();
      buffer.resize(at + log::FramedSize(v.record.size()));
      log::EncodeFrame(v.record, buffer.data() + at);
      if (buffer.size() >= (4u << 20)) write_status = out.Flush();
      return write_status.ok();
    }));
  }
  CASELEDGER_RETURN_IF_ERROR(write_status);
  if (frontier.size() != events)
    return Status::Corruption("only " + std::to_string(frontier.size()) + " of " +
                              std::to_string(events) + " events could be read from the log");
  if (frontier.Head().root != tree.root)
    return Status::Corruption("the log's records do not hash to the ledger's tree at size " +
                              std::to_string(events) + "; run `caseledger verify` first");
  CASELEDGER_ASSIGN_OR_RETURN(summary.bytes, out.Finish());
  return summary;
}

}  // namespace v1
}  // namespace caseledger
