// Backup and Restore (caseledger/backup.h; docs/format.md, "Backups").
//
// Backup opens the ledger read-only beside whatever writer is running and fixes N, the
// committed position, first. Everything it copies is consistent with positions 1..N:
//   - DIR/log: whole segments below the one holding position N's frame; that segment up to
//     the end of the frame, then zeros to its full size (the writer may be appending behind
//     it: those bytes are not part of the backup); DIR/log/torn-*.bin as they are.
//   - DIR/meta: every regular file, read before N is fixed; DIR/meta/checkpoints up to its
//     last newline (an append in progress is left out), without checkpoints of this ledger
//     beyond N.
//   - DIR/keys/{check,journal}, read after N is fixed: a child key is fsync'd before any
//     event that uses it, so the journal then holds every key events 1..N need. A torn final
//     journal record is cut by the writer when the restored ledger is first opened with
//     the master key. Then DIR/keys/erased (the destroyed keys), so that it is never older
//     than the journal copied.
// DIR/index and DIR/views are derived and belong to the processes that own them; DIR/run
// is the running processes'. None is copied; Restore rebuilds the index from the log.
#include "caseledger/backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <sstream>
#include <vector>

#include "caseledger/checkpoint.h"
#include "caseledger/time.h"
#include "ledger_impl.h"
#include "log/log_reader.h"
#include "log/segment.h"
#include "store/ledger_meta.h"
#include "util/file_util.h"

namespace caseledger {
inline namespace v1 {
namespace {

namespace fs = std::filesystem;

constexpr const char* kManifestName = "BACKUP";
constexpr const char* kManifestMagic = "caseledger backup v1";
constexpr size_t kCopyChunk = 4u << 20;
// DIR/meta holds small files; its checkpoints file grows by ~400 bytes per checkpoint.
constexpr size_t kMaxMetaFileBytes = 1u << 30;

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

// `path` made absolute, normalised, without a trailing separator.
fs::path Normal(const std::string& path) {
  fs::path p = fs::absolute(fs::path(path)).lexically_normal();
  if (!p.has_filename() && p != p.root_path()) p = p.parent_path();
  return p;
}

std::string ParentOf(const std::string& path) { return Normal(path).parent_path().string(); }

Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) return Errno("cannot create directory " + path);
  if (::chmod(path.c_str(), mode) != 0) return Errno("cannot set the mode of " + path);
  return Status::Ok();
}

// A target directory must not exist or be empty. Returns whether it exists.
Result<bool> CheckTarget(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return Errno("cannot examine " + path);
  }
  if (!S_ISDIR(st.st_mode))
    return Status::AlreadyExists(what + " " + path +
                                 " exists and is not a directory; give a new or empty directory");
  std::error_code ec;
  const bool empty = fs::is_empty(path, ec);
  if (ec) return Status::IOError("cannot list " + path + ": " + ec.message());
  if (!empty)
    return Status::AlreadyExists(what + " " + path +
                                 " is not empty; give a new or empty directory (nothing written)");
  return true;
}

// Removes what a failed backup wrote under `path`: the directory itself when the backup
// created it, else (an empty directory given) its contents.
void RemoveWritten(const std::string& path, bool existed, bool created) {
  std::error_code ec;
  if (created) {
    fs::remove_all(path, ec);
  } else if (existed) {
    for (const auto& entry : fs::directory_iterator(path, ec)) fs::remove_all(entry.path(), ec);
  }
}

// Copies the first `limit` bytes of `src` (all of it when limit is UINT64_MAX) to a new file
// `dst` of the same mode, then `zeros` zero bytes; fsync'd. Fails if `src` is shorter than
// a finite `limit`. Adds the bytes written to *bytes.
Status CopyFile(const std::string& src, const std::string& dst, uint64_t limit, uint64_t zeros,
                uint64_t* bytes) {
  const int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Errno("cannot open " + src);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{in};
  struct stat st {};
  if (::fstat(in, &st) != 0) return Errno("cannot examine " + src);
  util::NewFile out;
  CASELEDGER_RETURN_IF_ERROR(out.Create(dst, st.st_mode & 07777));
  std::vector<char> buffer(kCopyChunk);
  uint64_t done = 0;
  while (done < limit) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(limit - done, buffer.size()));
    const ssize_t n = ::pread(in, buffer.data(), want, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read " + src);
    if (n == 0) {
      if (limit == UINT64_MAX) break;
      return Status::Corruption(src + " ends at byte " + std::to_string(done) + ", before byte " +
                                std::to_string(limit));
    }
    CASELEDGER_RETURN_IF_ERROR(out.Write(buffer.data(), static_cast<size_t>(n)));
    done += static_cast<uint64_t>(n);
  }
  CASELEDGER_RETURN_IF_ERROR(out.WriteZeros(zeros));
  CASELEDGER_ASSIGN_OR_RETURN(const uint64_t written, out.Finish());
  *bytes += written;
  return Status::Ok();
}

Status WriteWholeFile(const std::string& path, std::string_view content, mode_t mode,
                      uint64_t* bytes) {
  util::NewFile out;
  CASELEDGER_RETURN_IF_ERROR(out.Create(path, mode));
  CASELEDGER_RETURN_IF_ERROR(out.Write(content.data(), content.size()));
  CASELEDGER_ASSIGN_OR_RETURN(const uint64_t written, out.Finish());
  *bytes += written;
  return Status::Ok();
}

// The regular files directly in `dir`, sorted by name; empty when `dir` does not exist.
Result<std::vector<std::string>> RegularFiles(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (entry.is_regular_file(type_ec) && !entry.is_symlink(type_ec))
      names.push_back(entry.path().filename().string());
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

// DIR/meta/checkpoints as it may be copied: complete lines only, without checkpoints of
// this ledger over more than `events` (signed after the backup's point).
std::string CheckpointsUpTo(std::string text, const std::array<uint8_t, 16>& ledger_id,
                            uint64_t events) {
  const size_t last_newline = text.rfind('\n');
  text.resize(last_newline == std::string::npos ? 0 : last_newline + 1);
  std::string kept;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto cp = CheckpointFromJson(line);
    if (cp.ok() && cp->ledger_id == ledger_id && cp->tree_size > events) continue;
    kept += line;
    kept += '\n';
  }
  return kept;
}

std::string ManifestText(const BackupManifest& m) {
  return std::string(kManifestMagic) + "\nledger_id = " + m.ledger_id +
         "\nevents = " + std::to_string(m.events) + "\nroot = " + HashToHex(m.root) +
         "\ntaken_at = " + m.taken_at + "\n";
}

// Copies the regular files of `src_dir` into the new directory `dst_dir` (mode `dir_mode`),
// keeping their modes; `keep(name)` chooses which.
Status CopyDirFiles(const std::string& src_dir, const std::string& dst_dir, mode_t dir_mode,
                    const std::function<bool(const std::string&)>& keep, uint64_t* bytes) {
  CASELEDGER_RETURN_IF_ERROR(MakeDir(dst_dir, dir_mode));
  CASELEDGER_ASSIGN_OR_RETURN(auto names, RegularFiles(src_dir));
  for (const std::string& name : names) {
    if (!keep(name)) continue;
    CASELEDGER_RETURN_IF_ERROR(
        CopyFile(src_dir + "/" + name, dst_dir + "/" + name, UINT64_MAX, 0, bytes));
  }
  return util::SyncDir(dst_dir);
}

bool IsTornEvidence(const std::string& name) {
  return name.starts_with("torn-") && name.ends_with(".bin");
}

struct MetaFile {
  std::string name, content;
  mode_t mode = 0;
};

Result<BackupSummary> WriteBackup(const std::string& dir, const std::string& dest,
                                  const LedgerOptions& options, bool dest_existed,
                                  bool& dest_created) {
  // DIR/meta first: a checkpoint appended from now on is of a tree at least as large as
  // the one fixed below.
  std::vector<MetaFile> meta_files;
  {
    CASELEDGER_ASSIGN_OR_RETURN(auto names, RegularFiles(dir + "/meta"));
    for (const std::string& name : names) {
      MetaFile& f = meta_files.emplace_back();
      f.name = name;
      CASELEDGER_ASSIGN_OR_RETURN(
          f.content, util::ReadSmallFile(dir + "/meta/" + name, kMaxMetaFileBytes, &f.mode));
      f.mode &= 07777;
    }
  }

  LedgerOptions read_options = options;
  read_options.read_only = true;
  CASELEDGER_ASSIGN_OR_RETURN(auto opened, Ledger::Open(dir, read_options));
  auto* ledger = dynamic_cast<LedgerImpl*>(opened.get());
  if (ledger == nullptr) return Status::InvalidArgument("not an embedded ledger");

  // The backup's point: positions 1..n, and where position n's frame ends.
  const Position n = ledger->CommittedPosition();
  const Timestamp taken_at = Now();
  CASELEDGER_ASSIGN_OR_RETURN(const TreeHead tree, ledger->GetTreeHeadAt(n));
  log::Location end{0, static_cast<uint32_t>(log::kSegmentHeaderBytes)};
  if (n > 0) {
    CASELEDGER_ASSIGN_OR_RETURN(auto cursor, ledger->CursorAt(n));
    EventView last;
    CASELEDGER_ASSIGN_OR_RETURN(bool read, cursor.Next(n, last));
    if (!read || last.position != n)
      return Status::Corruption("position " + std::to_string(n) + " cannot be read from the log");
    end = cursor.location();  // just past position n's frame, in the segment holding it
  }
  const uint64_t segment_bytes = ledger->segment_log().segment_bytes();

  BackupSummary summary;
  summary.events = n;
  summary.tree = tree;
  if (!dest_existed) {
    CASELEDGER_RETURN_IF_ERROR(MakeDir(dest, 0755));
    dest_created = true;
  }

  // DIR/log.
  const std::string log_dir = dir + "/log";
  CASELEDGER_RETURN_IF_ERROR(MakeDir(dest + "/log", 0755));
  for (uint32_t segment = 0; segment <= end.segment; ++segment) {
    const std::string src = log::SegmentPath(log_dir, segment);
    const std::string dst = log::SegmentPath(dest + "/log", segment);
    const uint64_t copy = segment < end.segment ? segment_bytes : end.offset;
    CASELEDGER_RETURN_IF_ERROR(CopyFile(src, dst, copy, segment_bytes - copy, &summary.bytes));
    summary.segments++;
  }
  {
    CASELEDGER_ASSIGN_OR_RETURN(auto names, RegularFiles(log_dir));
    for (const std::string& name : names)
      if (IsTornEvidence(name))
        CASELEDGER_RETURN_IF_ERROR(
            CopyFile(log_dir + "/" + name, dest + "/log/" + name, UINT64_MAX, 0, &summary.bytes));
  }
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(dest + "/log"));

  // DIR/meta, as read before n was fixed.
  CASELEDGER_RETURN_IF_ERROR(MakeDir(dest + "/meta", 0755));
  for (const MetaFile& f : meta_files) {
    const std::string content =
        f.name == "checkpoints" ? CheckpointsUpTo(f.content, ledger->LedgerId(), n) : f.content;
    CASELEDGER_RETURN_IF_ERROR(
        WriteWholeFile(dest + "/meta/" + f.name, content, f.mode, &summary.bytes));
  }
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(dest + "/meta"));

  // DIR/keys, read after n was fixed.
  std::error_code ec;
  if (fs::is_directory(dir + "/keys", ec)) {
    CASELEDGER_RETURN_IF_ERROR(CopyDirFiles(
        dir + "/keys", dest + "/keys", 0700,
        [](const std::string& name) { return name == "check" || name == "journal"; },
        &summary.bytes));
    // The erased keys' tombstones after the journal: an erasure between the two reads then
    // leaves the copy with a tombstone whose key record may still be in the copied journal
    // (the restored writer removes it), never with a journal that lost a key whose
    // tombstone is missing.
    if (fs::exists(dir + "/keys/erased", ec)) {
      CASELEDGER_ASSIGN_OR_RETURN(std::string erased,
                                  util::ReadSmallFile(dir + "/keys/erased", kMaxMetaFileBytes));
      CASELEDGER_RETURN_IF_ERROR(
          WriteWholeFile(dest + "/keys/erased", erased, 0600, &summary.bytes));
      CASELEDGER_RETURN_IF_ERROR(util::SyncDir(dest + "/keys"));
    }
  }
  const std::array<uint8_t, 16> ledger_id = ledger->LedgerId();
  opened.reset();

  // The manifest, last: its presence marks a complete backup.
  BackupManifest manifest;
  manifest.ledger_id = BytesToHex(ledger_id);
  manifest.events = n;
  manifest.root = tree.root;
  manifest.taken_at = FormatTimestamp(taken_at);
  CASELEDGER_RETURN_IF_ERROR(
      WriteWholeFile(dest + "/" + kManifestName, ManifestText(manifest), 0644, &summary.bytes));
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(dest));
  if (!dest_existed) CASELEDGER_RETURN_IF_ERROR(util::SyncDir(ParentOf(dest)));
  return summary;
}

}  // namespace

Result<BackupSummary> Backup(const std::string& dir, const std::string& dest,
                             const LedgerOptions& options) {
  CASELEDGER_RETURN_IF_ERROR(store::ReadLedgerMeta(dir + "/meta").status());
  if (auto ledger_dir = LedgerDirContaining(dest))
    return Status::InvalidArgument("the backup destination " + dest + " lies inside the ledger " +
                                   *ledger_dir + "; give a directory outside it");
  CASELEDGER_ASSIGN_OR_RETURN(const bool existed, CheckTarget(dest, "backup destination"));
  bool created = false;
  auto written = WriteBackup(dir, dest, options, existed, created);
  if (!written.ok()) RemoveWritten(dest, existed, created);
  return written;
}

Result<BackupManifest> ReadBackupManifest(const std::string& backup) {
  const std::string path = backup + "/" + kManifestName;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return Status::NotFound(backup + " holds no " + kManifestName +
                            " manifest: it is an incomplete backup or not a backup");
  CASELEDGER_ASSIGN_OR_RETURN(const std::string text, util::ReadSmallFile(path, 64 * 1024));
  auto bad = [&](const std::string& why) {
    return Status::Corruption(path + " is not a valid backup manifest: " + why);
  };
  std::istringstream lines(text);
  std::string line;
  if (!std::getline(lines, line) || line != kManifestMagic)
    return bad("its first line is not \"" + std::string(kManifestMagic) + "\"");
  BackupManifest m;
  bool have_id = false, have_events = false, have_root = false;
  while (std::getline(lines, line)) {
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) return bad("line \"" + line + "\" is not \"key = value\"");
    const std::string key = line.substr(0, eq), value = line.substr(eq + 3);
    if (key == "ledger_id") {
      std::array<uint8_t, 16> id{};
      CASELEDGER_RETURN_IF_ERROR(HexToBytes(value, id, "ledger_id").WithContext(path));
      m.ledger_id = value;
      have_id = true;
    } else if (key == "events") {
      if (value.empty() || value.size() > 19 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad("events = " + value + " is not a count");
      m.events = std::stoull(value);
      have_events = true;
    } else if (key == "root") {
      CASELEDGER_RETURN_IF_ERROR(HexToBytes(value, m.root, "root").WithContext(path));
      have_root = true;
    } else if (key == "taken_at") {
      m.taken_at = value;
    }  // other keys: later versions of the manifest
  }
  if (!have_id || !have_events || !have_root) return bad("ledger_id, events or root is missing");
  return m;
}

namespace {

Result<RestoreSummary> RestoreInto(const std::string& backup, const std::string& tmp,
                                   const BackupManifest& manifest, const LedgerOptions& options) {
  uint64_t bytes = 0;
  auto all = [](const std::string&) { return true; };
  CASELEDGER_RETURN_IF_ERROR(CopyDirFiles(backup + "/meta", tmp + "/meta", 0755, all, &bytes));
  CASELEDGER_RETURN_IF_ERROR(CopyDirFiles(
      backup + "/log", tmp + "/log", 0755,
      [](const std::string& name) { return !name.ends_with(".tmp"); }, &bytes));
  std::error_code ec;
  if (fs::is_directory(backup + "/keys", ec))
    CASELEDGER_RETURN_IF_ERROR(CopyDirFiles(backup + "/keys", tmp + "/keys", 0700, all, &bytes));
  CASELEDGER_RETURN_IF_ERROR(MakeDir(tmp + "/run", 0755));
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(tmp));

  const std::string does_not_verify = "the restored ledger does not verify against the backup";
  {
    // Read every record first, so that damage is named by its position (the writer's
    // recovery would take a damaged record for an unfinished write and cut the log there).
    CASELEDGER_ASSIGN_OR_RETURN(const store::LedgerMeta meta, store::ReadLedgerMeta(tmp + "/meta"));
    log::SegmentLog::Options log_options{tmp + "/log", meta.ledger_id, meta.segment_bytes, nullptr,
                                         false};
    CASELEDGER_ASSIGN_OR_RETURN(auto segments, log::SegmentLog::Open(log_options));
    log::LogCursor cursor(*segments, log::Location{}, 1);
    EventView view;
    while (true) {
      auto more = cursor.Next(manifest.events, view);
      if (!more.ok()) return more.status().WithContext(does_not_verify);
      if (!*more) break;
    }
  }
  LedgerOptions write_options = options;
  write_options.read_only = false;
  CASELEDGER_RETURN_IF_ERROR(Ledger::Reindex(tmp, write_options)
                                 .WithContext(does_not_verify + ": rebuilding its index failed"));
  auto opened = Ledger::Open(tmp, write_options);
  if (!opened.ok()) return opened.status().WithContext("opening the restored ledger");
  auto& ledger = *opened;
  RestoreSummary summary;
  summary.ledger_id = BytesToHex(ledger->LedgerId());
  summary.events = ledger->CommittedPosition();
  summary.tree = ledger->GetTreeHead();
  if (summary.ledger_id != manifest.ledger_id)
    return Status::Corruption(does_not_verify + ": its ledger id is " + summary.ledger_id +
                              ", the manifest says " + manifest.ledger_id);
  if (summary.events != manifest.events)
    return Status::Corruption(
        does_not_verify + ": its log holds " + std::to_string(summary.events) +
        " events, the manifest says " + std::to_string(manifest.events) +
        (summary.events < manifest.events ? " (a damaged record ends the log early)" : ""));
  if (summary.tree.root != manifest.root)
    return Status::Corruption(does_not_verify + ": its tree root is " +
                              HashToHex(summary.tree.root) + ", the manifest's root is " +
                              HashToHex(manifest.root));
  CASELEDGER_ASSIGN_OR_RETURN(const VerifyReport report, ledger->Verify({}));
  if (!report.ok()) {
    std::string problems;
    for (const VerifyProblem& p : report.problems)
      problems += (problems.empty() ? "" : "; ") + p.ToString();
    return Status::Corruption(does_not_verify + ": verify found " +
                              std::to_string(report.problems.size()) + " problem(s): " + problems);
  }
  if (report.recomputed.root != manifest.root)
    return Status::Corruption(does_not_verify + ": the tree root recomputed from its log is " +
                              HashToHex(report.recomputed.root) + ", the manifest's root is " +
                              HashToHex(manifest.root));
  return summary;
}

}  // namespace

Result<RestoreSummary> Restore(const std::string& backup, const std::string& dir2,
                               const LedgerOptions& options) {
  CASELEDGER_ASSIGN_OR_RETURN(const BackupManifest manifest, ReadBackupManifest(backup));
  CASELEDGER_RETURN_IF_ERROR(CheckTarget(dir2, "restore target").status());
  if (auto ledger_dir = LedgerDirContaining(dir2))
    return Status::InvalidArgument("the restore target " + dir2 + " lies inside the ledger " +
                                   *ledger_dir + "; give a directory outside it");
  const std::string parent = ParentOf(dir2);
  std::string tmp = parent + "/." + Normal(dir2).filename().string() + ".restore-XXXXXX";
  if (::mkdtemp(tmp.data()) == nullptr)
    return Errno("cannot create a temporary directory in " + parent);
  (void)::chmod(tmp.c_str(), 0755);  // mkdtemp makes it 0700; a ledger directory is 0755
  auto restored = RestoreInto(backup, tmp, manifest, options);
  // rename(2) replaces `dir2` when it is an empty directory.
  if (restored.ok() && ::rename(tmp.c_str(), dir2.c_str()) != 0)
    restored = Errno("cannot rename " + tmp + " to " + dir2);
  if (!restored.ok()) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    return restored;
  }
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(parent));
  return restored;
}

}  // namespace v1
}  // namespace caseledger
