// DIR/meta/checkpoints (docs/format.md) and the tree recomputed from the log that
// checkpoints are compared with.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "caseledger/checkpoint.h"
#include "caseledger/ledger.h"
#include "merkle/frontier.h"
#include "merkle/hashing.h"
#include "util/file_util.h"

namespace caseledger {
inline namespace v1 {
namespace {

// A ledger's checkpoints file larger than this is not one (a checkpoint line is ~500 bytes).
constexpr size_t kMaxStoreBytes = size_t{1} << 30;

Status RequireLedger(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir + "/meta/ledger", ec))
    return Status::NotFound("no ledger here (" + dir +
                            "/meta/ledger does not exist); create one with `caseledger init`");
  return Status::Ok();
}

// Closes a descriptor at the end of a scope.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string CheckpointStorePath(const std::string& ledger_dir) {
  return ledger_dir + "/meta/checkpoints";
}

Result<CheckpointStoreContents> ReadCheckpointStore(const std::string& ledger_dir) {
  CASELEDGER_RETURN_IF_ERROR(RequireLedger(ledger_dir));
  const std::string path = CheckpointStorePath(ledger_dir);
  CheckpointStoreContents out;
  auto text = util::ReadSmallFile(path, kMaxStoreBytes);
  if (!text.ok()) {
    if (text.status().code() == StatusCode::kNotFound) return out;  // no checkpoint yet
    return text.status();
  }
  size_t start = 0, line_no = 0;
  while (start < text->size()) {
    ++line_no;
    const size_t end = text->find('\n', start);
    if (end == std::string::npos) {
      out.torn_tail = path + " ends in an incomplete line " + std::to_string(line_no) + " (" +
                      std::to_string(text->size() - start) +
                      " bytes, no newline): an append interrupted by a crash, ignored";
      break;
    }
    std::string_view line(text->data() + start, end - start);
    auto cp = CheckpointFromJson(line);
    if (cp.ok())
      out.checkpoints.push_back(*cp);
    else
      out.bad_lines.push_back(path + " line " + std::to_string(line_no) + ": " +
                              cp.status().message());
    start = end + 1;
  }
  return out;
}

Status AppendCheckpoint(const std::string& ledger_dir, const Checkpoint& checkpoint,
                        std::string* note) {
  if (note) note->clear();
  CASELEDGER_RETURN_IF_ERROR(RequireLedger(ledger_dir));
  const std::string path = CheckpointStorePath(ledger_dir);
  std::error_code ec;
  const bool is_new = !std::filesystem::exists(path, ec);
  Fd f{::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644)};
  if (f.fd < 0) return Status::IOError("cannot open " + path + ": " + std::strerror(errno));
  // One appender at a time, so that a torn tail is never another appender's line in
  // progress.
  while (::flock(f.fd, LOCK_EX) != 0)
    if (errno != EINTR) return Status::IOError("cannot lock " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    return Status::IOError("cannot stat " + path + ": " + std::strerror(errno));
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > 0) {
    // Find the end of the last complete line: whatever follows it is a torn append.
    uint64_t keep = size;
    char c = 0;
    while (keep > 0) {
      if (::pread(f.fd, &c, 1, static_cast<off_t>(keep - 1)) != 1)
        return Status::IOError("cannot read " + path + ": " + std::strerror(errno));
      if (c == '\n') break;
      --keep;
    }
    if (keep != size) {
      if (::ftruncate(f.fd, static_cast<off_t>(keep)) != 0 || ::fdatasync(f.fd) != 0)
        return Status::IOError("cannot cut the incomplete last line of " + path + ": " +
                               std::strerror(errno));
      if (note)
        *note = "cut an incomplete last line of " + std::to_string(size - keep) + " bytes from " +
                path + " (an append interrupted by a crash, never acknowledged)";
    }
  }
  const std::string line = CheckpointToJson(checkpoint) + "\n";
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(f.fd, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::IOError("cannot append to " + path + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(f.fd) != 0)
    return Status::IOError("cannot sync " + path + ": " + std::strerror(errno));
  if (is_new) util::SyncParentDir(path);
  return Status::Ok();
}

Result<TreeHead> TreeHeadFromLog(Ledger& ledger, uint64_t size) {
  const Position committed = ledger.CommittedPosition();
  if (size > committed)
    return Status::InvalidArgument("tree size " + std::to_string(size) +
                                   " is beyond the committed position " +
                                   std::to_string(committed));
  merkle::MerkleFrontier frontier;
  Position expected = 1;
  Status order;
  if (size > 0) {
    CASELEDGER_RETURN_IF_ERROR(ledger.ScanAll(1, size, [&](const EventView& v) {
      if (v.position != expected) {
        order = Status::Corruption("position " + std::to_string(expected) + ": the log holds " +
                                   std::to_string(v.position) + " where " +
                                   std::to_string(expected) + " belongs");
        return false;
      }
      frontier.Append(merkle::LeafHash(v.record), {});
      ++expected;
      return true;
    }));
  }
  CASELEDGER_RETURN_IF_ERROR(order);
  if (frontier.size() != size)
    return Status::Corruption("position " + std::to_string(frontier.size() + 1) +
                              ": the log ends after " + std::to_string(frontier.size()) +
                              " records, expected " + std::to_string(size));
  return frontier.Head();
}

}  // namespace v1
}  // namespace caseledger
