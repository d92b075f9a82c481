#include "seal/key_store.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>

#include "util/endian.h"
#include "util/file_util.h"

namespace caseledger::seal {
namespace {

constexpr char kCheckMagic[8] = {'C', 'L', 'K', 'E', 'Y', 'S', '0', '1'};
constexpr std::string_view kCheckText = "caseledger key store check";
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;  // 24
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;       // 16
constexpr size_t kSealedKey = 32 + kTag;
constexpr uint32_t kMaxBody = 4096;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Associated data binds a sealed key to its ledger and its id, so that a sealed key
// copied to another ledger or to another id does not open.
std::string KeyAd(const log::LedgerId& ledger, const KeyId& id) {
  std::string ad = "caseledger child key v1";
  ad.append(reinterpret_cast<const char*>(ledger.data()), ledger.size());
  ad.append(reinterpret_cast<const char*>(id.data()), id.size());
  return ad;
}

std::string CheckAd(const log::LedgerId& ledger) {
  std::string ad = "caseledger key store v1";
  ad.append(reinterpret_cast<const char*>(ledger.data()), ledger.size());
  return ad;
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(Errno("cannot write " + path));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

void PutU16(std::string& out, size_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}

// The framing of both files' records: u32 body length (LE), body, u64 XXH3-64 of the body.
void AppendFramed(std::string& out, std::string_view body) {
  const uint32_t length = static_cast<uint32_t>(body.size());
  out.append(reinterpret_cast<const char*>(&length), 4);
  out += body;
  const uint64_t checksum = XXH3_64bits(body.data(), body.size());
  out.append(reinterpret_cast<const char*>(&checksum), 8);
}

// Calls `visit(body, offset)` for each whole record of `bytes`, which start at `base` in
// `file`, and returns the bytes they take: a torn final record (a crash mid-write, or a
// write in progress) is left. kCorruption naming the offset for a damaged record.
Result<size_t> ForEachFramed(std::string_view bytes, uint64_t base, const std::string& file,
                             const std::function<Status(std::string_view, uint64_t)>& visit) {
  size_t at = 0;
  while (bytes.size() - at >= 4) {
    const uint32_t length = LoadLE32(reinterpret_cast<const std::byte*>(bytes.data() + at));
    const uint64_t offset = base + at;
    if (length == 0 || length > kMaxBody)
      return Status::Corruption(file + " is damaged at offset " + std::to_string(offset) +
                                " (record length " + std::to_string(length) + ")");
    if (bytes.size() - at < 4 + length + 8) break;  // incomplete
    std::string_view body = bytes.substr(at + 4, length);
    uint64_t stored = 0;
    std::memcpy(&stored, bytes.data() + at + 4 + length, 8);
    if (stored != XXH3_64bits(body.data(), body.size())) {
      if (at + 4 + length + 8 == bytes.size()) break;  // the final record is torn
      return Status::Corruption(file + " is damaged at offset " + std::to_string(offset) +
                                " (checksum)");
    }
    CASELEDGER_RETURN_IF_ERROR(visit(body, offset));
    at += 4 + length + 8;
  }
  return at;
}

// The bytes of `fd` from `from` to its end.
Result<std::string> ReadFrom(int fd, uint64_t from, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IOError(Errno("cannot stat " + path));
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size <= from) return std::string();
  std::string bytes(size - from, '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pread(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(from + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(Errno("cannot read " + path));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

// The body of a tombstone: key id (16), u16 stream length, stream, u16 child-ref length,
// child ref.
std::string TombstoneBody(std::string_view id, std::string_view stream, std::string_view child) {
  std::string body(id);
  PutU16(body, stream.size());
  body += stream;
  PutU16(body, child.size());
  body += child;
  return body;
}

// The sibling directories a rotation uses: DIR/keys.new, DIR/keys.old.
std::string Sibling(const std::string& keys_dir, const char* suffix) { return keys_dir + suffix; }

// A rotation a crash interrupted (Rotate): keys.new complete but not yet in place is put
// in place; one not yet complete (keys still there) is dropped; keys.old is shredded.
Status FinishRotation(const std::string& keys_dir) {
  std::error_code ec;
  const std::string fresh = Sibling(keys_dir, ".new"), old = Sibling(keys_dir, ".old");
  const std::string parent = std::filesystem::path(keys_dir).parent_path().string();
  if (!std::filesystem::exists(keys_dir, ec) && std::filesystem::exists(fresh, ec)) {
    if (::rename(fresh.c_str(), keys_dir.c_str()) != 0)
      return Status::IOError(Errno("cannot rename " + fresh + " to " + keys_dir));
    CASELEDGER_RETURN_IF_ERROR(util::SyncDir(parent));
  }
  if (std::filesystem::exists(fresh, ec)) util::ShredDir(fresh);
  if (std::filesystem::exists(old, ec)) util::ShredDir(old);
  return Status::Ok();
}

}  // namespace

ChildKey::~ChildKey() { sodium_memzero(key.data(), key.size()); }

Status KeyStore::Create(const std::string& keys_dir, const MasterKey& master,
                        const log::LedgerId& ledger_id) {
  std::error_code ec;
  if (std::filesystem::exists(keys_dir + "/check", ec))
    return Status::AlreadyExists(keys_dir + " already exists");
  std::filesystem::create_directories(keys_dir, ec);
  if (ec) return Status::IOError("cannot create " + keys_dir + ": " + ec.message());
  ::chmod(keys_dir.c_str(), 0700);
  std::string check(kCheckMagic, sizeof kCheckMagic);
  uint8_t nonce[kNonce];
  randombytes_buf(nonce, sizeof nonce);
  check.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  std::string sealed(kCheckText.size() + kTag, '\0');
  const std::string ad = CheckAd(ledger_id);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<uint8_t*>(sealed.data()), nullptr,
      reinterpret_cast<const uint8_t*>(kCheckText.data()), kCheckText.size(),
      reinterpret_cast<const uint8_t*>(ad.data()), ad.size(), nullptr, nonce, master.bytes.data());
  check += sealed;
  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"/journal", ""}, {"/check", check}}) {
    const std::string path = keys_dir + name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IOError(Errno("cannot create " + path));
    Status s = WriteAll(fd, bytes, path);
    if (s.ok() && ::fsync(fd) != 0) s = Status::IOError(Errno("cannot sync " + path));
    ::close(fd);
    CASELEDGER_RETURN_IF_ERROR(s);
  }
  return util::SyncDir(keys_dir);
}

Result<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& keys_dir,
                                                 const MasterKey& master,
                                                 const log::LedgerId& ledger_id, bool writable) {
  std::unique_ptr<KeyStore> store(new KeyStore());
  store->dir_ = keys_dir;
  store->master_ = master.bytes;
  store->ledger_id_ = ledger_id;
  store->writable_ = writable;

  if (writable) {
    CASELEDGER_RETURN_IF_ERROR(FinishRotation(keys_dir));
  } else if (std::error_code ec; !std::filesystem::exists(keys_dir, ec) &&
                                 std::filesystem::exists(Sibling(keys_dir, ".new"), ec)) {
    return Status::InvalidArgument(
        "a master-key rotation of " + keys_dir +
        " was interrupted: open the ledger as its writer once (with the new master key) to "
        "finish it");
  }
  // The check file: is this the master key the store was created with?
  const std::string check_path = keys_dir + "/check";
  int cfd = ::open(check_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (cfd < 0)
    return Status::NotFound(Errno("this ledger has no key store (" + check_path + ")") +
                            "; it was created without one, or DIR/keys was removed");
  std::string check(256, '\0');
  const ssize_t n = ::read(cfd, check.data(), check.size());
  ::close(cfd);
  const size_t expected = sizeof kCheckMagic + kNonce + kCheckText.size() + kTag;
  if (n != static_cast<ssize_t>(expected) ||
      std::memcmp(check.data(), kCheckMagic, sizeof kCheckMagic) != 0)
    return Status::Corruption(check_path + " is damaged (wrong size or magic)");
  const auto* nonce = reinterpret_cast<const uint8_t*>(check.data() + sizeof kCheckMagic);
  const auto* sealed = nonce + kNonce;
  std::string clear(kCheckText.size(), '\0');
  const std::string ad = CheckAd(ledger_id);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<uint8_t*>(clear.data()), nullptr,
                                                 nullptr, sealed, kCheckText.size() + kTag,
                                                 reinterpret_cast<const uint8_t*>(ad.data()),
                                                 ad.size(), nonce, master.bytes.data()) != 0 ||
      clear != kCheckText)
    return Status::InvalidArgument("wrong master key: it does not open this ledger's key store (" +
                                   check_path + ")");

  const std::string journal = keys_dir + "/journal";
  store->fd_ = ::open(journal.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (store->fd_ < 0) return Status::IOError(Errno("cannot open " + journal));
  std::lock_guard lock(store->mutex_);
  CASELEDGER_RETURN_IF_ERROR(store->ReadNewRecords());
  if (writable) {
    // Drop a torn final record of either file: its fsync never returned, so no event uses
    // its key, and no erasure that it would record was ever reported done.
    const std::string erased = keys_dir + "/erased";
    for (const auto& [path, end] : {std::pair<std::string, uint64_t>{journal, store->read_end_},
                                    {erased, store->erased_read_end_}}) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || static_cast<uint64_t>(st.st_size) <= end) continue;
      int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
      const bool cut = fd >= 0 && ::ftruncate(fd, static_cast<off_t>(end)) == 0 && ::fsync(fd) == 0;
      if (fd >= 0) ::close(fd);
      if (!cut) return Status::IOError(Errno("cannot cut the torn end of " + path));
    }
    // An erasure a crash interrupted: its keys are in `erased`, their records still here.
    if (store->journal_holds_erased_) CASELEDGER_RETURN_IF_ERROR(store->RewriteJournal());
  }
  return store;
}

std::unique_ptr<KeyStore> KeyStore::OpenTombstones(const std::string& keys_dir) {
  std::unique_ptr<KeyStore> store(new KeyStore());
  store->dir_ = keys_dir;  // fd_ stays -1: no journal, so no key is ever read or made
  return store;
}

KeyStore::~KeyStore() {
  sodium_memzero(master_.data(), master_.size());
  if (fd_ >= 0) ::close(fd_);
}

// Journal record body: key id (16), u16 stream length, stream, u16 child-ref length,
// child ref, nonce (24), sealed key (48). Framed as AppendFramed says.
Status KeyStore::ReadNewRecords() {
  CASELEDGER_RETURN_IF_ERROR(ReadNewTombstones());
  if (fd_ < 0) return Status::Ok();  // OpenTombstones: no journal is read
  const std::string journal = dir_ + "/journal";
  // Replaced by an erasure (in the writer, maybe another process): read the new file
  // from its start; keys that are still live are in it too.
  struct stat on_disk {
  }, open_file{};
  if (::stat(journal.c_str(), &on_disk) == 0 && ::fstat(fd_, &open_file) == 0 &&
      on_disk.st_ino != open_file.st_ino) {
    const int fd = ::open(journal.c_str(), (writable_ ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return Status::IOError(Errno("cannot open " + journal));
    ::close(fd_);
    fd_ = fd;
    read_end_ = 0;
  }
  CASELEDGER_ASSIGN_OR_RETURN(std::string bytes, ReadFrom(fd_, read_end_, journal));
  CASELEDGER_ASSIGN_OR_RETURN(
      size_t used,
      ForEachFramed(bytes, read_end_, journal,
                    [&](std::string_view body, uint64_t offset) -> Status {
                      const std::string id(body.substr(0, 16));
                      if (erased_.count(id)) {  // destroyed; the writer removes the record
                        journal_holds_erased_ = true;
                        return Status::Ok();
                      }
                      CASELEDGER_ASSIGN_OR_RETURN(auto key, Decode(body, offset));
                      by_stream_[key->stream] = key;
                      by_id_[id] = std::move(key);
                      return Status::Ok();
                    }));
  read_end_ += used;
  return Status::Ok();
}

Status KeyStore::ReadNewTombstones() {
  const std::string path = dir_ + "/erased";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::Ok();  // nothing erased yet
    return Status::IOError(Errno("cannot stat " + path));
  }
  if (static_cast<uint64_t>(st.st_size) <= erased_read_end_) return Status::Ok();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(Errno("cannot open " + path));
  auto bytes = ReadFrom(fd, erased_read_end_, path);
  ::close(fd);
  if (!bytes.ok()) return bytes.status();
  CASELEDGER_ASSIGN_OR_RETURN(
      size_t used,
      ForEachFramed(
          *bytes, erased_read_end_, path, [&](std::string_view body, uint64_t offset) -> Status {
            size_t at = 16;
            auto text = [&]() -> std::optional<std::string> {
              if (body.size() - at < 2) return std::nullopt;
              const size_t n =
                  static_cast<uint8_t>(body[at]) | (static_cast<uint8_t>(body[at + 1]) << 8);
              if (body.size() - at - 2 < n) return std::nullopt;
              std::string out(body.substr(at + 2, n));
              at += 2 + n;
              return out;
            };
            if (body.size() < 16)
              return Status::Corruption(path + " is damaged at offset " + std::to_string(offset));
            const std::string id(body.substr(0, 16));
            auto stream = text();
            auto child = text();
            if (!stream || !child || at != body.size())
              return Status::Corruption(path + " is damaged at offset " + std::to_string(offset));
            if (auto it = by_id_.find(id); it != by_id_.end()) {
              if (auto s = by_stream_.find(it->second->stream);
                  s != by_stream_.end() && s->second == it->second)
                by_stream_.erase(s);
              by_id_.erase(it);
            }
            erased_streams_.insert(*stream);
            erased_[id] = Tombstone{std::move(*stream), std::move(*child)};
            return Status::Ok();
          }));
  erased_read_end_ += used;
  return Status::Ok();
}

Status KeyStore::RewriteJournal() {
  const std::string journal = dir_ + "/journal", fresh = dir_ + "/journal.new";
  CASELEDGER_ASSIGN_OR_RETURN(std::string bytes, ReadFrom(fd_, 0, journal));
  bytes.resize(std::min<uint64_t>(bytes.size(), read_end_));
  std::string kept;
  std::vector<std::pair<uint64_t, size_t>> dropped;  // offset, length in the old file
  CASELEDGER_RETURN_IF_ERROR(
      ForEachFramed(bytes, 0, journal, [&](std::string_view body, uint64_t offset) -> Status {
        if (erased_.count(std::string(body.substr(0, 16))))
          dropped.emplace_back(offset, 4 + body.size() + 8);
        else
          AppendFramed(kept, body);
        return Status::Ok();
      }).status());
  ::unlink(fresh.c_str());  // a rewrite a crash interrupted before its rename
  const int fd = ::open(fresh.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(Errno("cannot create " + fresh));
  Status written = WriteAll(fd, kept, fresh);
  if (written.ok() && ::fsync(fd) != 0) written = Status::IOError(Errno("cannot sync " + fresh));
  if (written.ok() && ::rename(fresh.c_str(), journal.c_str()) != 0)
    written = Status::IOError(Errno("cannot rename " + fresh + " to " + journal));
  if (written.ok()) written = util::SyncDir(dir_);
  if (!written.ok()) {
    ::close(fd);
    ::unlink(fresh.c_str());
    return written;
  }
  // The old file's copies of the destroyed records, overwritten before it is let go (no
  // one reopens it: it has no name now).
  for (const auto& [offset, length] : dropped) {
    const std::string zeros(length, '\0');
    if (::pwrite(fd_, zeros.data(), zeros.size(), static_cast<off_t>(offset)) !=
        static_cast<ssize_t>(zeros.size()))
      break;
  }
  ::fdatasync(fd_);
  ::close(fd_);
  fd_ = fd;
  read_end_ = kept.size();
  journal_holds_erased_ = false;
  return Status::Ok();
}

Result<std::shared_ptr<const ChildKey>> KeyStore::Decode(std::string_view body,
                                                         uint64_t offset) const {
  auto bad = [&](const char* what) {
    return Status::Corruption(dir_ + "/journal is damaged at offset " + std::to_string(offset) +
                              " (" + what + ")");
  };
  auto key = std::make_shared<ChildKey>();
  size_t at = 0;
  auto take = [&](size_t n) -> std::string_view {
    if (body.size() - at < n) return {};
    std::string_view out = body.substr(at, n);
    at += n;
    return out;
  };
  auto take_u16 = [&]() -> int {
    auto b = take(2);
    return b.size() == 2 ? (static_cast<uint8_t>(b[0]) | (static_cast<uint8_t>(b[1]) << 8)) : -1;
  };
  auto id = take(16);
  if (id.size() != 16) return bad("key id");
  std::memcpy(key->id.data(), id.data(), 16);
  int length = take_u16();
  if (length < 0 || body.size() - at < static_cast<size_t>(length)) return bad("stream");
  key->stream = std::string(take(static_cast<size_t>(length)));
  length = take_u16();
  if (length < 0 || body.size() - at < static_cast<size_t>(length)) return bad("child ref");
  key->child_ref = std::string(take(static_cast<size_t>(length)));
  auto nonce = take(kNonce);
  auto sealed = take(kSealedKey);
  if (sealed.size() != kSealedKey || at != body.size()) return bad("sealed key");
  const std::string ad = KeyAd(ledger_id_, key->id);
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          key->key.data(), nullptr, nullptr, reinterpret_cast<const uint8_t*>(sealed.data()),
          sealed.size(), reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
          reinterpret_cast<const uint8_t*>(nonce.data()), master_.data()) != 0)
    return bad("a sealed key the master key does not open");
  return std::shared_ptr<const ChildKey>(std::move(key));
}

std::string KeyStore::RecordBody(const ChildKey& key, const std::array<uint8_t, 32>& master) const {
  std::string body(reinterpret_cast<const char*>(key.id.data()), key.id.size());
  PutU16(body, key.stream.size());
  body += key.stream;
  PutU16(body, key.child_ref.size());
  body += key.child_ref;
  uint8_t nonce[kNonce];
  randombytes_buf(nonce, sizeof nonce);
  body.append(reinterpret_cast<const char*>(nonce), sizeof nonce);
  uint8_t sealed[kSealedKey];
  const std::string ad = KeyAd(ledger_id_, key.id);
  crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, nullptr, key.key.data(), key.key.size(),
                                             reinterpret_cast<const uint8_t*>(ad.data()), ad.size(),
                                             nullptr, nonce, master.data());
  body.append(reinterpret_cast<const char*>(sealed), sizeof sealed);
  return body;
}

Result<std::vector<std::shared_ptr<const ChildKey>>> KeyStore::EnsureKeys(
    std::span<const KeyRequest> requests) {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const ChildKey>> out(requests.size());
  std::string records;
  std::vector<std::shared_ptr<ChildKey>> created;
  std::unordered_map<std::string_view, std::shared_ptr<const ChildKey>>
      fresh;  // by stream, this call
  for (size_t i = 0; i < requests.size(); ++i) {
    const KeyRequest& r = requests[i];
    if (auto it = by_stream_.find(std::string(r.stream)); it != by_stream_.end()) {
      out[i] = it->second;
      continue;
    }
    if (auto it = fresh.find(r.stream); it != fresh.end()) {
      out[i] = it->second;
      continue;
    }
    if (erased_streams_.count(std::string(r.stream)))
      return Status::InvalidArgument("the personal data of " + std::string(r.stream) +
                                     "'s child was erased: no personal field can be added to it");
    if (!writable_)
      return Status::InvalidArgument("the key store is open read-only; no key can be created");
    if (r.stream.size() > 0xffff || r.child_ref.size() > 0xffff)
      return Status::InvalidArgument("stream or child ref too long for a key record");
    auto key = std::make_shared<ChildKey>();
    randombytes_buf(key->id.data(), key->id.size());
    randombytes_buf(key->key.data(), key->key.size());
    key->stream = std::string(r.stream);
    key->child_ref = std::string(r.child_ref);
    AppendFramed(records, RecordBody(*key, master_));
    fresh[key->stream] = key;
    out[i] = key;
    created.push_back(std::move(key));
  }
  if (created.empty()) return out;
  const std::string journal = dir_ + "/journal";
  // Appends at the end the store has read: a torn tail was cut on open, and only this
  // process writes.
  size_t done = 0;
  while (done < records.size()) {
    ssize_t n = ::pwrite(fd_, records.data() + done, records.size() - done,
                         static_cast<off_t>(read_end_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::IOError(Errno("cannot write " + journal));
    done += static_cast<size_t>(n);
  }
  if (::fdatasync(fd_) != 0) return Status::IOError(Errno("cannot sync " + journal));
  read_end_ += records.size();
  for (auto& key : created) {
    by_id_[std::string(reinterpret_cast<const char*>(key->id.data()), key->id.size())] = key;
    by_stream_[key->stream] = key;
  }
  return out;
}

std::shared_ptr<const ChildKey> KeyStore::Find(const KeyId& id) {
  std::lock_guard lock(mutex_);
  const std::string k(reinterpret_cast<const char*>(id.data()), id.size());
  // An erasure by the writer counts here at once: a key it destroyed is never used again.
  if (!ReadNewTombstones().ok()) return nullptr;
  if (auto it = by_id_.find(k); it != by_id_.end()) return it->second;
  if (erased_.count(k) || !ReadNewRecords().ok()) return nullptr;
  auto it = by_id_.find(k);
  return it == by_id_.end() ? nullptr : it->second;
}

bool KeyStore::IsErased(const KeyId& id) {
  std::lock_guard lock(mutex_);
  return erased_.count(std::string(reinterpret_cast<const char*>(id.data()), id.size())) > 0;
}

void KeyStore::RefreshErased() {
  std::lock_guard lock(mutex_);
  // A damaged file leaves what was read before; Find refuses keys the same way.
  (void)ReadNewTombstones();
}

Result<KeyStore::ChildStreams> KeyStore::StreamsOfChild(std::string_view child_ref) {
  return Streams([&](const std::string& child) { return child == child_ref; });
}

Result<KeyStore::ChildStreams> KeyStore::AllStreams() {
  return Streams([](const std::string&) { return true; });
}

Result<KeyStore::ChildStreams> KeyStore::Streams(
    const std::function<bool(const std::string&)>& of_child) {
  std::lock_guard lock(mutex_);
  CASELEDGER_RETURN_IF_ERROR(ReadNewRecords());
  ChildStreams out;
  std::unordered_set<std::string> seen;
  for (const auto& [stream, key] : by_stream_)
    if (of_child(key->child_ref) && seen.insert(stream).second) out.live.push_back(stream);
  for (const auto& [id, tombstone] : erased_)
    if (of_child(tombstone.child_ref) && seen.insert(tombstone.stream).second)
      out.erased.push_back(tombstone.stream);
  std::sort(out.live.begin(), out.live.end());
  std::sort(out.erased.begin(), out.erased.end());
  return out;
}

Status KeyStore::EraseChild(std::string_view child_ref) {
  std::lock_guard lock(mutex_);
  if (!writable_) return Status::InvalidArgument("the key store is open read-only: nothing erased");
  CASELEDGER_RETURN_IF_ERROR(ReadNewRecords());
  std::string records;
  std::vector<std::string> ids;
  for (const auto& [id, key] : by_id_) {
    if (key->child_ref != child_ref) continue;
    AppendFramed(records, TombstoneBody(id, key->stream, key->child_ref));
    ids.push_back(id);
  }
  if (!ids.empty()) {
    // The tombstones first, durably: from here the keys are never used again.
    CASELEDGER_RETURN_IF_ERROR(AppendTombstones(records));
    journal_holds_erased_ = true;
  }
  if (journal_holds_erased_) return RewriteJournal();
  return Status::Ok();
}

Status KeyStore::RecordErased(const KeyId& id, std::string_view stream,
                              std::string_view child_ref) {
  std::lock_guard lock(mutex_);
  if (!writable_) return Status::InvalidArgument("the key store is open read-only: nothing erased");
  CASELEDGER_RETURN_IF_ERROR(ReadNewRecords());
  const std::string k(reinterpret_cast<const char*>(id.data()), id.size());
  if (erased_.count(k)) return Status::Ok();
  if (by_id_.count(k))
    return Status::InvalidArgument("the key of " + std::string(stream) +
                                   " is in the store: erase its child instead");
  if (stream.size() > 0xffff || child_ref.size() > 0xffff)
    return Status::InvalidArgument("stream or child ref too long for a tombstone");
  std::string record;
  AppendFramed(record, TombstoneBody(k, stream, child_ref));
  return AppendTombstones(record);
}

Status KeyStore::AppendTombstones(const std::string& records) {
  const std::string path = dir_ + "/erased";
  const bool existed = ::access(path.c_str(), F_OK) == 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError(Errno("cannot open " + path));
  Status s = Status::Ok();
  size_t done = 0;
  while (s.ok() && done < records.size()) {
    const ssize_t n = ::pwrite(fd, records.data() + done, records.size() - done,
                               static_cast<off_t>(erased_read_end_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      s = Status::IOError(Errno("cannot write " + path));
    else
      done += static_cast<size_t>(n);
  }
  if (s.ok() && ::fdatasync(fd) != 0) s = Status::IOError(Errno("cannot sync " + path));
  ::close(fd);
  if (s.ok() && !existed) s = util::SyncDir(dir_);
  CASELEDGER_RETURN_IF_ERROR(s);
  return ReadNewTombstones();  // applies them to the maps
}

Status KeyStore::Rotate(const MasterKey& new_master) {
  std::lock_guard lock(mutex_);
  if (!writable_) return Status::InvalidArgument("the key store is open read-only: not rotated");
  if (sodium_memcmp(new_master.bytes.data(), master_.data(), master_.size()) == 0)
    return Status::InvalidArgument("the new master key is the one in use: give a new one");
  CASELEDGER_RETURN_IF_ERROR(ReadNewRecords());
  if (journal_holds_erased_) CASELEDGER_RETURN_IF_ERROR(RewriteJournal());
  const std::string fresh = Sibling(dir_, ".new"), old = Sibling(dir_, ".old");
  const std::string parent = std::filesystem::path(dir_).parent_path().string();
  util::ShredDir(fresh);  // a rotation that never completed
  CASELEDGER_RETURN_IF_ERROR(Create(fresh, new_master, ledger_id_));
  // Every live key, sealed again (fresh nonces) under the new master key; the tombstones
  // as they are.
  std::string records;
  for (const auto& [id, key] : by_id_) AppendFramed(records, RecordBody(*key, new_master.bytes));
  std::string erased;
  if (erased_read_end_ > 0) {
    const std::string path = dir_ + "/erased";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Status::IOError(Errno("cannot open " + path));
    auto bytes = ReadFrom(fd, 0, path);
    ::close(fd);
    if (!bytes.ok()) return bytes.status();
    erased = bytes->substr(0, erased_read_end_);
  }
  for (const auto& [name, bytes] :
       {std::pair<std::string, const std::string*>{"/journal", &records}, {"/erased", &erased}}) {
    if (name == "/erased" && bytes->empty()) continue;
    const std::string path = fresh + name;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Status::IOError(Errno("cannot open " + path));
    Status s = WriteAll(fd, *bytes, path);
    if (s.ok() && ::fsync(fd) != 0) s = Status::IOError(Errno("cannot sync " + path));
    ::close(fd);
    CASELEDGER_RETURN_IF_ERROR(s);
  }
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(fresh));
  // The swap. From the first rename on, the new store is the one (FinishRotation).
  if (::rename(dir_.c_str(), old.c_str()) != 0)
    return Status::IOError(Errno("cannot rename " + dir_ + " to " + old));
  if (::rename(fresh.c_str(), dir_.c_str()) != 0)
    return Status::IOError(Errno("cannot rename " + fresh + " to " + dir_) +
                           "; open the ledger as its writer with the new master key to finish");
  CASELEDGER_RETURN_IF_ERROR(util::SyncDir(parent));
  // Switch to the new journal, then shred the old store (sealed under the old master key).
  const std::string journal = dir_ + "/journal";
  const int fd = ::open(journal.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Status::IOError(Errno("cannot open " + journal));
  ::close(fd_);
  fd_ = fd;
  read_end_ = records.size();
  master_ = new_master.bytes;
  util::ShredDir(old);
  return util::SyncDir(parent);
}

}  // namespace caseledger::seal
