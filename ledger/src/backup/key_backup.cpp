// BackupKeys and RestoreKeys (caseledger/key_backup.h; docs/format.md, "Backups";
// docs/privacy.md, "Key-store backups").
//
// Backup reads DIR/keys beside whatever writer is running: check, journal, then erased,
// again if check or journal was replaced meanwhile (an erasure rewrites the journal, a
// rotation replaces the directory). The copy is then opened writable with the master key,
// which both proves that every key in it opens and makes it whole the way a writer makes
// DIR/keys whole: a key record being written meanwhile is cut, records of keys erased
// between the two reads are removed. Only then are the files described in the manifest.
//
// Restore does every check before it writes: the manifest, the ledger id, each file's size
// and SHA-256 against the manifest, the master key, no DIR/keys, no writer. It then opens
// the ledger as its writer without the master key (holding the writer lock until DIR/keys
// is in place, the log's tail recovered as the writer would) and reads the log: per case
// stream, its child, the erasures recorded in it and the keys its fields are sealed under.
// The copy is made in DIR/keys.restore, made to agree with the log there (recorded
// erasures applied again, tombstones for erased streams whose keys the backup never held,
// new keys for streams whose keys were lost), and renamed to DIR/keys: there is never a
// DIR/keys that still holds an erased child's key.
#include "caseledger/key_backup.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "caseledger/case_events.h"
#include "caseledger/checkpoint.h"
#include "caseledger/payload_message.h"
#include "caseledger/time.h"
#include "schema/case_events.capnp.h"
#include "seal/key_store.h"
#include "seal/master_key.h"
#include "seal/sealer.h"
#include "store/ledger_meta.h"
#include "util/file_util.h"

namespace caseledger {
inline namespace v1 {
namespace {

namespace fs = std::filesystem;

constexpr const char* kManifestName = "KEYS-BACKUP";
constexpr const char* kManifestMagic = "caseledger keys backup v1";
// The store's files, in the order they are read and listed.
const std::string kCheck = "keys/check";
const std::string kJournal = "keys/journal";
const std::string kErased = "keys/erased";
constexpr int kReadAttempts = 5;

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

std::string Sha256Hex(std::string_view bytes) {
  std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  return BytesToHex(digest);
}

Status MakeDir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0) return Errno("cannot create directory " + path);
  if (::chmod(path.c_str(), mode) != 0) return Errno("cannot set the mode of " + path);
  return Status::Ok();
}

std::string ParentOf(const std::string& path) {
  fs::path p = fs::absolute(fs::path(path)).lexically_normal();
  if (!p.has_filename() && p != p.root_path()) p = p.parent_path();
  return p.parent_path().string();
}

// A whole file and which file it was (device and inode of the descriptor read).
struct FileRead {
  std::string bytes;
  dev_t dev = 0;
  ino_t ino = 0;
};

// kNotFound if `path` does not exist.
Result<FileRead> ReadWhole(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path + " does not exist");
    return Errno("cannot open " + path);
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Errno("cannot examine " + path);
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument(path + " is not a regular file");
  FileRead out;
  out.dev = st.st_dev;
  out.ino = st.st_ino;
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read " + path);
    if (n == 0) break;
    out.bytes.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

bool StillTheFile(const std::string& path, const FileRead& read) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && st.st_dev == read.dev && st.st_ino == read.ino;
}

// The files of a key store, by name relative to its parent ("keys/journal").
using StoreFiles = std::vector<std::pair<std::string, std::string>>;

// DIR/keys read beside a writer that may add keys, erase (the journal replaced by a new
// file) or rotate the master key (the directory replaced) meanwhile: check, journal, then
// erased; read again unless check and journal are still the files that were read.
Result<StoreFiles> ReadLiveStore(const std::string& dir) {
  Status last = Status::Ok();
  for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
    auto check = ReadWhole(dir + "/" + kCheck);
    auto journal = check.ok() ? ReadWhole(dir + "/" + kJournal) : check.status();
    auto erased = journal.ok() ? ReadWhole(dir + "/" + kErased) : journal.status();
    if (!erased.ok() && erased.status().code() != StatusCode::kNotFound) {
      last = erased.status();
      continue;
    }
    if (!check.ok() || !journal.ok()) {
      last = !check.ok() ? check.status() : journal.status();
      continue;
    }
    if (!StillTheFile(dir + "/" + kCheck, *check) || !StillTheFile(dir + "/" + kJournal, *journal))
      continue;
    StoreFiles files = {{kCheck, std::move(check->bytes)}, {kJournal, std::move(journal->bytes)}};
    if (erased.ok()) files.emplace_back(kErased, std::move(erased->bytes));
    return files;
  }
  if (!last.ok()) return last;
  return Status::Busy(dir +
                      "/keys was replaced each time it was read (erasures or a master-key "
                      "rotation going on); run the backup again");
}

// Writes `files` under `parent` (each 0600; "keys" must exist), fsyncs them and their dir.
Status WriteStoreFiles(const std::string& parent, const std::string& keys_dir,
                       const StoreFiles& files) {
  for (const auto& [name, bytes] : files) {
    util::NewFile out;
    CASELEDGER_RETURN_IF_ERROR(out.Create(parent + "/" + name, 0600));
    CASELEDGER_RETURN_IF_ERROR(out.Write(bytes.data(), bytes.size()));
    CASELEDGER_RETURN_IF_ERROR(out.Finish().status());
  }
  return util::SyncDir(keys_dir);
}

// The ledger in `dir`, which must store case events (only those have a key store).
Result<store::LedgerMeta> CaseEventLedger(const std::string& dir) {
  CASELEDGER_ASSIGN_OR_RETURN(store::LedgerMeta meta, store::ReadLedgerMeta(dir + "/meta"));
  if (meta.events != EventSchema::kCaseEvents)
    return Status::InvalidArgument(dir + " stores opaque events: it has no key store");
  return meta;
}

Result<seal::MasterKey> MasterKeyOf(const LedgerOptions& options, const std::string& why) {
  const std::string path = seal::MasterKeyPath(options.master_key_file);
  if (path.empty())
    return Status::InvalidArgument("the master key is needed " + why +
                                   ": give --master-key-file or set CASELEDGER_MASTER_KEY_FILE");
  return seal::LoadMasterKey(path);
}

// A new backup directory must not exist or be empty. Returns whether it exists.
Result<bool> CheckDestination(const std::string& dest) {
  struct stat st {};
  if (::lstat(dest.c_str(), &st) != 0) {
    if (errno == ENOENT) return false;
    return Errno("cannot examine " + dest);
  }
  std::error_code ec;
  if (!S_ISDIR(st.st_mode) || !fs::is_empty(dest, ec) || ec)
    return Status::AlreadyExists("the key backup destination " + dest +
                                 " exists and is not an empty directory; give a new or empty "
                                 "directory (nothing written)");
  return true;
}

// What the manifest says of the backup in `dest`, from its files as they are now and the
// keys the store opened from them holds.
Result<KeyBackupManifest> Describe(const std::string& dest, const store::LedgerMeta& meta,
                                   const std::string& taken_at, seal::KeyStore& store) {
  KeyBackupManifest m;
  m.ledger_id = BytesToHex(meta.ledger_id);
  m.taken_at = taken_at;
  CASELEDGER_ASSIGN_OR_RETURN(const seal::KeyStore::ChildStreams streams, store.AllStreams());
  m.keys = streams.live.size();
  m.erased = streams.erased.size();
  for (const std::string& name : {kCheck, kJournal, kErased}) {
    auto read = ReadWhole(dest + "/" + name);
    if (!read.ok() && name == kErased && read.status().code() == StatusCode::kNotFound) continue;
    if (!read.ok()) return read.status();
    m.files.push_back({name, read->bytes.size(), Sha256Hex(read->bytes)});
  }
  return m;
}

std::string ManifestText(const KeyBackupManifest& m) {
  std::string text = std::string(kManifestMagic) + "\nledger_id = " + m.ledger_id +
                     "\nkeys = " + std::to_string(m.keys) +
                     "\nerased = " + std::to_string(m.erased) + "\ntaken_at = " + m.taken_at + "\n";
  for (const KeyBackupManifest::File& f : m.files)
    text += "file " + f.name + " = " + std::to_string(f.bytes) + " " + f.sha256 + "\n";
  return text;
}

Result<KeyBackupSummary> WriteKeyBackup(const std::string& dir, const std::string& dest,
                                        const store::LedgerMeta& meta,
                                        const seal::MasterKey& master, bool dest_existed,
                                        bool& dest_created) {
  if (!dest_existed) {
    CASELEDGER_RETURN_IF_ERROR(MakeDir(dest, 0700));
    dest_created = true;
  }
  const std::string keys_dir = dest + "/keys";
  CASELEDGER_RETURN_IF_ERROR(MakeDir(keys_dir, 0700));
  const std::string taken_at = FormatTimestamp(Now());
  CASELEDGER_ASSIGN_OR_RETURN(const StoreFiles files, ReadLiveStore(dir));
  CASELEDGER_RETURN_IF_ERROR(WriteStoreFiles(dest, keys_dir, files));
  // Opened as its writer would open it: every key must open with the master key (a
  // backup that does not open is worthless), a torn final record is cut, and the records
  // of keys erased between the journal's read and erased's are removed (fsync'd).
  auto copy = seal::KeyStore::Open(keys_dir, master, meta.ledger_id, /*writable=*/true);
  if (!copy.ok()) return copy.status().WithContext("the copy of " + dir + "/keys does not open");
  CASELEDGER_ASSIGN_OR_RETURN(const KeyBackupManifest manifest,
                              Describe(dest, meta, taken_at, **copy));
  KeyBackupSummary summary;
  summary.keys = manifest.keys;
  summary.erased = manifest.erased;
  summary.taken_at = taken_at;
  for (const KeyBackupManifest::File& f : manifest.files) summary.bytes += f.bytes;
  // The manifest, last: its presence marks a complete backup.
  const std::string text = ManifestText(manifest);
  util::NewFile out;
  CASELEDGER_RETURN_IF_ERROR(out.Create(dest + "/" + kManifestName, 0600));
  CASELEDGER_RETURN_IF_ERROR(out.Write(text.data(), text.size()));
  CASELEDGER_ASSIGN_OR_RETURN(const uint64_t written, out.Finish());
  summary.bytes += written;
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(dest));
  if (dest_created) CASELEDGER_RETURN_IF_ERROR(util::SyncDir(ParentOf(dest)));
  return summary;
}

}  // namespace

Result<KeyBackupSummary> BackupKeys(const std::string& dir, const std::string& dest,
                                    const LedgerOptions& options) {
  CASELEDGER_ASSIGN_OR_RETURN(const store::LedgerMeta meta, CaseEventLedger(dir));
  if (auto ledger_dir = LedgerDirContaining(dest))
    return Status::InvalidArgument("the key backup destination " + dest +
                                   " lies inside the ledger " + *ledger_dir +
                                   "; give a directory outside it");
  CASELEDGER_ASSIGN_OR_RETURN(
      const seal::MasterKey master,
      MasterKeyOf(options,
                  "to check that the key backup opens (a backup that does not open "
                  "is worthless)"));
  // A wrong master key (or a missing or half-rotated DIR/keys) is refused here, before
  // anything is written.
  CASELEDGER_RETURN_IF_ERROR(
      seal::KeyStore::Open(dir + "/keys", master, meta.ledger_id, /*writable=*/false).status());
  CASELEDGER_ASSIGN_OR_RETURN(const bool existed, CheckDestination(dest));
  bool created = false;
  auto written = WriteKeyBackup(dir, dest, meta, master, existed, created);
  if (!written.ok()) {
    std::error_code ec;
    if (created) {
      fs::remove_all(dest, ec);
    } else {
      for (const auto& entry : fs::directory_iterator(dest, ec)) fs::remove_all(entry.path(), ec);
    }
  }
  return written;
}

Result<KeyBackupManifest> ReadKeyBackupManifest(const std::string& backup) {
  const std::string path = backup + "/" + kManifestName;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return Status::NotFound(backup + " holds no " + kManifestName +
                            " manifest: it is an incomplete key backup, or not one (`caseledger "
                            "keys backup` writes it last)");
  CASELEDGER_ASSIGN_OR_RETURN(const std::string text, util::ReadSmallFile(path, 64 * 1024));
  auto bad = [&](const std::string& why) {
    return Status::Corruption(path + " is not a valid key backup manifest: " + why);
  };
  auto count = [](const std::string& value) -> std::optional<uint64_t> {
    if (value.empty() || value.size() > 19 ||
        !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    return std::stoull(value);
  };
  std::istringstream lines(text);
  std::string line;
  if (!std::getline(lines, line) || line != kManifestMagic)
    return bad("its first line is not \"" + std::string(kManifestMagic) + "\"");
  KeyBackupManifest m;
  std::set<std::string> seen;
  while (std::getline(lines, line)) {
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos) return bad("line \"" + line + "\" is not \"key = value\"");
    const std::string key = line.substr(0, eq), value = line.substr(eq + 3);
    if (!seen.insert(key).second) return bad(key + " is given twice");
    if (key == "ledger_id") {
      std::array<uint8_t, 16> id{};
      CASELEDGER_RETURN_IF_ERROR(HexToBytes(value, id, "ledger_id").WithContext(path));
      m.ledger_id = value;
    } else if (key == "keys" || key == "erased") {
      const auto n = count(value);
      if (!n) return bad(key + " = " + value + " is not a count");
      (key == "keys" ? m.keys : m.erased) = *n;
    } else if (key == "taken_at") {
      m.taken_at = value;
    } else if (key.starts_with("file ")) {
      // Only the store's own names: nothing outside BACKUP/keys is ever read or copied.
      KeyBackupManifest::File f;
      f.name = key.substr(5);
      if (f.name != kCheck && f.name != kJournal && f.name != kErased)
        return bad("it lists \"" + f.name + "\", which is not a file of a key store");
      const size_t space = value.find(' ');
      const auto bytes = count(value.substr(0, space));
      std::array<uint8_t, crypto_hash_sha256_BYTES> digest{};
      if (space == std::string::npos || !bytes ||
          !HexToBytes(value.substr(space + 1), digest, "sha256").ok())
        return bad("\"" + line + "\" is not \"file NAME = BYTES SHA256\"");
      f.bytes = *bytes;
      f.sha256 = value.substr(space + 1);
      m.files.push_back(std::move(f));
    }  // other keys: later versions of the manifest
  }
  if (m.ledger_id.empty() || !seen.count("keys") || !seen.count("erased") ||
      !seen.count("file " + kCheck) || !seen.count("file " + kJournal))
    return bad("ledger_id, keys, erased, or the line of keys/check or keys/journal is missing");
  return m;
}

namespace {

// The files the manifest lists, each checked against its size and SHA-256.
Result<StoreFiles> ReadBackupFiles(const std::string& backup, const KeyBackupManifest& m) {
  StoreFiles files;
  for (const KeyBackupManifest::File& f : m.files) {
    const std::string path = backup + "/" + f.name;
    auto read = ReadWhole(path);
    if (!read.ok())
      return read.status().WithContext("the key backup is incomplete or damaged (" + path +
                                       " is listed in its manifest)");
    if (read->bytes.size() != f.bytes || Sha256Hex(read->bytes) != f.sha256)
      return Status::Corruption(path + " is damaged: it is not the file the backup's " +
                                kManifestName + " describes (" + std::to_string(f.bytes) +
                                " bytes, SHA-256 " + f.sha256 + "); nothing was written");
    files.emplace_back(f.name, std::move(read->bytes));
  }
  return files;
}

// DIR/keys must be missing; so must DIR/keys.new (a master-key rotation that the next
// writer finishes by renaming it to DIR/keys).
Status RefuseExistingStore(const std::string& dir) {
  std::error_code ec;
  if (fs::exists(fs::symlink_status(dir + "/keys", ec)))
    return Status::AlreadyExists(
        dir +
        "/keys exists: a key backup is restored only where the key store is missing. If "
        "it is damaged, move it out of the ledger directory first (e.g. `mv " +
        dir + "/keys /root/keys.damaged`), then run this again (nothing written)");
  if (fs::exists(fs::symlink_status(dir + "/keys.new", ec)))
    return Status::AlreadyExists(dir +
                                 "/keys.new exists: a master-key rotation was interrupted. Open "
                                 "the ledger as its writer with the new master key to finish it "
                                 "(nothing written)");
  return Status::Ok();
}

// What the ledger's log says of one case stream that the restored store must honour.
struct StreamInLog {
  std::string child_ref;                  // from its CaseOpened
  std::set<std::string> erased_children;  // the childRef of each ErasureRequested in it
  std::vector<seal::KeyId> sealing_keys;  // the keys its sealed fields are under, distinct
};
using StreamsInLog = std::map<std::string, StreamInLog>;

// Every committed event of `ledger`, opened as its writer (so its log tail is recovered
// and nothing is appended meanwhile): the case streams with sealed fields or a recorded
// erasure. An ErasureRequested whose childRef does not read is kCorruption: skipping it
// could bring an erased child back.
Result<StreamsInLog> ReadStreamsInLog(Ledger& ledger, const std::string& dir) {
  StreamsInLog streams;
  Status bad = Status::Ok();
  Status scanned = ledger.ScanAll(1, 0, [&](const EventView& view) {
    const EventType* type = FindEventType(view.type);
    if (type == nullptr) return true;  // not of the catalogue: no sealed field, no erasure
    const bool opened = view.type == "CaseOpened", erasure = view.type == "ErasureRequested";
    const bool sealed = CarriesPersonalData(*type, view.payload);
    if (!opened && !erasure && !sealed) return true;
    StreamInLog& s = streams[std::string(view.stream)];
    if (opened && s.child_ref.empty()) s.child_ref = seal::ChildRefOf(*type, view.payload);
    if (erasure) {
      std::string child;
      Status decoded = DecodePayload<schema::ErasureRequested>(
          view.payload,
          [&](schema::ErasureRequested::Reader r) { child = r.getChildRef().cStr(); });
      if (!decoded.ok() || child.empty()) {
        bad = Status::Corruption("position " + std::to_string(view.position) +
                                 ": an ErasureRequested whose childRef does not read (" +
                                 decoded.message() + "); run `caseledger verify`");
        return false;
      }
      s.erased_children.insert(std::move(child));
    }
    // A stream's fields are all under its one key, unless an earlier restore gave it a
    // new one (its old key lost): a handful of ids at most.
    if (sealed)
      if (auto id = seal::SealingKeyOf(*type, view.payload);
          id &&
          std::find(s.sealing_keys.begin(), s.sealing_keys.end(), *id) == s.sealing_keys.end())
        s.sealing_keys.push_back(*id);
    return true;
  });
  CASELEDGER_RETURN_IF_ERROR(bad);
  CASELEDGER_RETURN_IF_ERROR(scanned.WithContext(
      "reading " + dir + "/log for the erasures it records (run `caseledger verify`)"));
  return streams;
}

bool Holds(const std::vector<std::string>& sorted, const std::string& stream) {
  return std::binary_search(sorted.begin(), sorted.end(), stream);
}

// The restore proper, in DIR/keys.restore (`tmp`), which does not exist yet.
Result<KeyRestoreSummary> RestoreInto(const std::string& tmp, const StoreFiles& files,
                                      const store::LedgerMeta& meta, const seal::MasterKey& master,
                                      const StreamsInLog& log) {
  CASELEDGER_RETURN_IF_ERROR(MakeDir(tmp, 0700));
  // The files are named "keys/..." relative to a backup; here they go into `tmp`.
  StoreFiles renamed;
  for (const auto& [name, bytes] : files)
    renamed.emplace_back(fs::path(name).filename().string(), bytes);
  CASELEDGER_RETURN_IF_ERROR(WriteStoreFiles(tmp, tmp, renamed));

  KeyRestoreSummary summary;
  CASELEDGER_ASSIGN_OR_RETURN(auto store, seal::KeyStore::Open(tmp, master, meta.ledger_id, true));
  // 1. An erasure destroyed the keys of the child's streams it is recorded in. The backup
  // may predate it: destroy them again. A child whose live keys are all of cases opened
  // after its erasure keeps them (they were never erased).
  std::map<std::string, std::set<std::string>> erased_children;  // child -> its streams
  for (const auto& [stream, s] : log)
    for (const std::string& child : s.erased_children) erased_children[child].insert(stream);
  for (const auto& [child, streams] : erased_children) {
    CASELEDGER_ASSIGN_OR_RETURN(const seal::KeyStore::ChildStreams held,
                                store->StreamsOfChild(child));
    if (std::none_of(held.live.begin(), held.live.end(),
                     [&](const std::string& s) { return streams.count(s) > 0; }))
      continue;
    CASELEDGER_RETURN_IF_ERROR(
        store->EraseChild(child).WithContext("erasing child " + child + " again"));
    summary.children_erased_again.push_back(child);
  }
  // 2. A stream erased after the backup was taken, with a key made after it too: the
  // store never held that key. Its tombstone makes its fields read erased and keeps the
  // stream from ever getting a new key.
  CASELEDGER_ASSIGN_OR_RETURN(seal::KeyStore::ChildStreams held, store->AllStreams());
  for (const auto& [stream, s] : log) {
    if (s.erased_children.empty() || Holds(held.live, stream)) continue;
    const std::string& child = s.child_ref.empty() ? *s.erased_children.begin() : s.child_ref;
    bool recorded = false;
    for (const seal::KeyId& id : s.sealing_keys) {
      if (store->Find(id) != nullptr || store->IsErased(id)) continue;
      CASELEDGER_RETURN_IF_ERROR(
          store->RecordErased(id, stream, child).WithContext("recording the erasure of " + stream));
      recorded = true;
    }
    if (recorded) summary.streams_recorded_erased.push_back(stream);
  }
  // 3. A stream with sealed fields, no key in the store, live or erased, and no recorded
  // erasure: its key was made after the backup and is lost. Its fields so far stay
  // sealed; a new key naming its child seals the ones to come, where `erase --child`
  // finds it.
  CASELEDGER_ASSIGN_OR_RETURN(held, store->AllStreams());
  summary.keys = held.live.size();
  std::vector<seal::KeyRequest> requests;
  for (const auto& [stream, s] : log) {
    if (s.sealing_keys.empty() || !s.erased_children.empty() || Holds(held.live, stream) ||
        Holds(held.erased, stream))
      continue;
    requests.push_back({stream, s.child_ref});
    summary.streams_with_lost_key.push_back(stream);
  }
  if (!requests.empty())
    CASELEDGER_RETURN_IF_ERROR(
        store->EnsureKeys(requests).status().WithContext("making new keys for the streams "
                                                         "whose keys the backup lacks"));
  return summary;  // every change above was fsync'd before it returned
}

}  // namespace

Result<KeyRestoreSummary> RestoreKeys(const std::string& backup, const std::string& dir,
                                      const LedgerOptions& options) {
  CASELEDGER_ASSIGN_OR_RETURN(const KeyBackupManifest manifest, ReadKeyBackupManifest(backup));
  CASELEDGER_ASSIGN_OR_RETURN(const store::LedgerMeta meta, CaseEventLedger(dir));
  if (manifest.ledger_id != BytesToHex(meta.ledger_id))
    return Status::InvalidArgument(backup + " is a key backup of ledger " + manifest.ledger_id +
                                   ", and " + dir + " is ledger " + BytesToHex(meta.ledger_id) +
                                   ": keys open only in their own ledger (nothing written)");
  CASELEDGER_RETURN_IF_ERROR(RefuseExistingStore(dir));
  CASELEDGER_ASSIGN_OR_RETURN(const StoreFiles files, ReadBackupFiles(backup, manifest));
  CASELEDGER_ASSIGN_OR_RETURN(const seal::MasterKey master,
                              MasterKeyOf(options, "to open the key backup"));
  // The backup's files are as the manifest says; they must also open (a read-only open
  // writes nothing).
  CASELEDGER_RETURN_IF_ERROR(
      seal::KeyStore::Open(backup + "/keys", master, meta.ledger_id, /*writable=*/false)
          .status()
          .WithContext("the key backup does not open (nothing written)"));

  // The ledger opened as its writer, without a master key (DIR/keys is missing): from
  // here until DIR/keys is in place no other writer runs, so none appends or erases while
  // the log is read, nor opens the store half made; and the log's tail is recovered as
  // the writer recovers it, so the erasures read are exactly those the ledger holds.
  LedgerOptions as_writer = options;
  as_writer.read_only = false;
  as_writer.without_master_key = true;
  as_writer.master_key_file.clear();
  auto ledger = Ledger::Open(dir, as_writer);
  if (!ledger.ok() && ledger.status().code() == StatusCode::kBusy)
    return ledger.status().WithContext(
        "restoring keys needs the ledger without a writer: stop it (e.g. `caseledger serve`) "
        "first (nothing written)");
  if (!ledger.ok()) return ledger.status().WithContext("cannot open the ledger " + dir);
  CASELEDGER_RETURN_IF_ERROR(RefuseExistingStore(dir));
  CASELEDGER_ASSIGN_OR_RETURN(const StreamsInLog log, ReadStreamsInLog(**ledger, dir));

  const std::string tmp = dir + "/keys.restore", keys = dir + "/keys";
  std::error_code ec;
  if (fs::exists(fs::symlink_status(tmp, ec)))
    util::ShredDir(tmp);  // a restore a crash interrupted
  auto restored = RestoreInto(tmp, files, meta, master, log);
  if (restored.ok() && ::rename(tmp.c_str(), keys.c_str()) != 0)
    restored = Errno("cannot rename " + tmp + " to " + keys);
  if (!restored.ok()) {
    util::ShredDir(tmp);
    return restored;
  }
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(dir));
  ledger->reset();  // DIR/keys is in place: a writer may start
  restored->taken_at = manifest.taken_at;
  return restored;
}

}  // namespace v1
}  // namespace caseledger
