// DIR/meta/tokens: an append-only file of token issues and revocations (token_store.h has
// the format). Only SHA-256 hashes of tokens are stored; a token is shown once, when issued.
#include "token_store.h"

#include <capnp/compat/json.h>
#include <capnp/message.h>
#include <fcntl.h>
#include <kj/exception.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <map>
#include <memory>
#include <utility>

#include "caseledger/checkpoint.h"  // BytesToHex, HexToBytes

namespace caseledger::server {
namespace {

constexpr std::string_view kTokenPrefix = "clt_";
constexpr size_t kSecretBytes = 32;
constexpr size_t kTokenIdBytes = 6;
constexpr size_t kMaxWorkerIdBytes = 128;
using Sha256 = std::array<uint8_t, SHA256_DIGEST_LENGTH>;

std::string MetaDir(const std::string& dir) { return dir + "/meta"; }
std::string TokensPath(const std::string& dir) { return dir + "/meta/tokens"; }

Status Errno(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

Status ValidateWorkerId(std::string_view worker_id) {
  if (worker_id.empty() || worker_id.size() > kMaxWorkerIdBytes)
    return Status::InvalidArgument("a worker id has 1 to 128 characters");
  for (char c : worker_id)
    if (c < 0x21 || c > 0x7e)
      return Status::InvalidArgument("worker id \"" + std::string(worker_id) +
                                     "\" holds a space or a character that is not printable ASCII");
  return Status::Ok();
}

Sha256 HashOf(std::string_view token) {
  Sha256 digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return digest;
}

std::string TokenIdOf(const Sha256& digest) {
  return BytesToHex(std::span<const uint8_t>(digest.data(), kTokenIdBytes));
}

// One issued token as the file holds it.
struct Entry {
  TokenRecord record;
  Sha256 sha256{};
};

// A file descriptor closed on scope exit.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Every byte of `fd` from offset 0.
Result<std::string> ReadAllOf(int fd, const std::string& path) {
  std::string bytes;
  char buffer[1 << 16];
  for (off_t offset = 0;;) {
    const ssize_t n = ::pread(fd, buffer, sizeof(buffer), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("reading " + path);
    if (n == 0) return bytes;
    bytes.append(buffer, static_cast<size_t>(n));
    offset += n;
  }
}

// The string fields of one line's JSON object, each given once; anything else is refused.
Result<std::map<std::string, std::string, std::less<>>> StringFields(std::string_view line) {
  capnp::JsonCodec codec;
  codec.setMaxNestingDepth(2);
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                 codec.decodeRaw(kj::ArrayPtr<const char>(line.data(), line.size()), root);
               })) {
    return Status::InvalidArgument(std::string("not valid JSON: ") + e->getDescription().cStr());
  }
  if (!root.isObject()) return Status::InvalidArgument("not a JSON object");
  std::map<std::string, std::string, std::less<>> fields;
  for (auto field : root.getObject()) {
    const std::string name(field.getName().cStr(), field.getName().size());
    if (!field.getValue().isString())
      return Status::InvalidArgument("field \"" + name + "\" is not a string");
    auto value = field.getValue().getString();
    if (!fields.emplace(name, std::string(value.cStr(), value.size())).second)
      return Status::InvalidArgument("field \"" + name + "\" given twice");
  }
  return fields;
}

// The fields of a line of kind `op`: exactly `names`, no more, no fewer.
Status ExpectFields(const std::map<std::string, std::string, std::less<>>& fields,
                    std::initializer_list<std::string_view> names) {
  for (std::string_view name : names)
    if (!fields.contains(name))
      return Status::InvalidArgument("missing field \"" + std::string(name) + "\"");
  for (const auto& [name, value] : fields)
    if (std::find(names.begin(), names.end(), name) == names.end())
      return Status::InvalidArgument("unknown field \"" + name + "\"");
  return Status::Ok();
}

Status ValidateTokenId(std::string_view token_id) {
  std::array<uint8_t, kTokenIdBytes> bytes{};
  return HexToBytes(token_id, bytes, "tokenId");
}

// Applies one complete line to `entries` (in issue order) and `index` (token id -> entry).
Status ApplyLine(std::string_view line, std::vector<Entry>& entries,
                 std::map<std::string, size_t, std::less<>>& index) {
  CASELEDGER_ASSIGN_OR_RETURN(auto fields, StringFields(line));
  auto op = fields.find("op");
  if (op == fields.end()) return Status::InvalidArgument("missing field \"op\"");
  if (op->second == "issue") {
    CASELEDGER_RETURN_IF_ERROR(ExpectFields(fields, {"op", "tokenId", "worker", "sha256", "at"}));
    Entry entry;
    CASELEDGER_RETURN_IF_ERROR(HexToBytes(fields["sha256"], entry.sha256, "sha256"));
    entry.record.token_id = fields["tokenId"];
    if (entry.record.token_id != TokenIdOf(entry.sha256))
      return Status::InvalidArgument("tokenId " + entry.record.token_id +
                                     " is not the start of its sha256");
    CASELEDGER_RETURN_IF_ERROR(ValidateWorkerId(fields["worker"]));
    entry.record.worker_id = fields["worker"];
    CASELEDGER_ASSIGN_OR_RETURN(entry.record.issued_at, ParseTimestamp(fields["at"]));
    if (!index.emplace(entry.record.token_id, entries.size()).second)
      return Status::InvalidArgument("token " + entry.record.token_id + " is issued twice");
    entries.push_back(std::move(entry));
    return Status::Ok();
  }
  if (op->second == "revoke") {
    CASELEDGER_RETURN_IF_ERROR(ExpectFields(fields, {"op", "tokenId", "at"}));
    CASELEDGER_RETURN_IF_ERROR(ValidateTokenId(fields["tokenId"]));
    auto issued = index.find(fields["tokenId"]);
    if (issued == index.end())
      return Status::InvalidArgument("revokes token " + fields["tokenId"] +
                                     ", which no earlier line issues");
    CASELEDGER_ASSIGN_OR_RETURN(Timestamp at, ParseTimestamp(fields["at"]));
    TokenRecord& record = entries[issued->second].record;
    if (!record.revoked_at) record.revoked_at = at;  // the first revocation is the one
    return Status::Ok();
  }
  return Status::InvalidArgument("op \"" + op->second + "\" is not issue or revoke");
}

// The tokens `bytes` (the file's content) records. A last line without its newline is a
// write cut short by a crash: it was never acknowledged, so it is not read.
Result<std::vector<Entry>> ParseTokens(const std::string& path, std::string_view bytes) {
  std::vector<Entry> entries;
  std::map<std::string, size_t, std::less<>> index;
  size_t line_number = 0;
  for (size_t start = 0; start < bytes.size();) {
    const size_t end = bytes.find('\n', start);
    if (end == std::string_view::npos) break;  // torn
    ++line_number;
    if (Status s = ApplyLine(bytes.substr(start, end - start), entries, index); !s.ok())
      return Status::Corruption(path + " line " + std::to_string(line_number) + ": " + s.message());
    start = end + 1;
  }
  return entries;
}

// Reads the file as it is now, without a lock: whole lines only. Absent: no tokens.
// Which version of the file was read: an append changes its size and modification time,
// a replacement its inode.
struct FileIdentity {
  ino_t inode = 0;
  off_t size = -1;  // -1: no file
  struct timespec modified {};
  bool operator==(const FileIdentity& o) const {
    return inode == o.inode && size == o.size && modified.tv_sec == o.modified.tv_sec &&
           modified.tv_nsec == o.modified.tv_nsec;
  }
};

FileIdentity IdentityOf(const struct stat& st) { return {st.st_ino, st.st_size, st.st_mtim}; }

// The file's entries, and the identity it had before they were read (so that a line
// appended during the read makes the identity stale, never the entries).
Result<std::pair<std::vector<Entry>, FileIdentity>> ReadTokensWithIdentity(const std::string& dir) {
  const std::string path = TokensPath(dir);
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::make_pair(std::vector<Entry>{}, FileIdentity{});
    return Errno("opening " + path);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Errno("stat " + path);
  CASELEDGER_ASSIGN_OR_RETURN(std::string bytes, ReadAllOf(fd.get(), path));
  CASELEDGER_ASSIGN_OR_RETURN(auto entries, ParseTokens(path, bytes));
  return std::make_pair(std::move(entries), IdentityOf(st));
}

Result<std::vector<Entry>> ReadTokens(const std::string& dir) {
  CASELEDGER_ASSIGN_OR_RETURN(auto read, ReadTokensWithIdentity(dir));
  return std::move(read.first);
}

// The worker of the entry whose hash is `token`'s, if it is not revoked. Every stored
// hash is compared, each in constant time, so that the time taken says nothing about
// which one (if any) matched.
Result<std::string> MatchToken(const std::vector<Entry>& entries, std::string_view token) {
  const Status refused = Status::Unauthenticated("the token is malformed, unknown or revoked");
  const Sha256 digest = HashOf(token);
  const Entry* match = nullptr;
  for (const Entry& e : entries)
    if (sodium_memcmp(e.sha256.data(), digest.data(), digest.size()) == 0) match = &e;
  if (match == nullptr || match->record.revoked_at) return refused;
  return match->record.worker_id;
}

Status InitSodium() {
  // Safe to call from several threads and more than once; only a failure is news.
  if (sodium_init() < 0) return Status::IOError("libsodium could not be initialised");
  return Status::Ok();
}

// OK if `token` has the form of a token ("clt_" + 64 hex digits).
Status CheckTokenForm(std::string_view token) {
  const Status refused = Status::Unauthenticated("the token is malformed, unknown or revoked");
  constexpr size_t kTokenChars = kTokenPrefix.size() + 2 * kSecretBytes;
  if (token.size() != kTokenChars || !token.starts_with(kTokenPrefix)) return refused;
  std::array<uint8_t, kSecretBytes> secret{};
  if (!HexToBytes(token.substr(kTokenPrefix.size()), secret, "token").ok()) return refused;
  sodium_memzero(secret.data(), secret.size());
  return InitSodium();
}

// The file opened for appending under an exclusive flock (held until destruction), its
// torn tail cut off, and what it records.
class TokenFileWriter {
 public:
  static Result<std::unique_ptr<TokenFileWriter>> Open(const std::string& dir) {
    struct stat meta {};
    if (::stat(MetaDir(dir).c_str(), &meta) != 0 || !S_ISDIR(meta.st_mode))
      return Status::NotFound(MetaDir(dir) + " does not exist: " + dir +
                              " is not a ledger directory");
    const std::string path = TokensPath(dir);
    struct stat existing {};
    const bool created = ::stat(path.c_str(), &existing) != 0 && errno == ENOENT;
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("opening " + path);
    auto writer = std::unique_ptr<TokenFileWriter>(new TokenFileWriter(path, fd));
    while (::flock(fd, LOCK_EX) != 0)
      if (errno != EINTR) return Errno("locking " + path);
    if (created) CASELEDGER_RETURN_IF_ERROR(SyncDirectory(MetaDir(dir)));

    CASELEDGER_ASSIGN_OR_RETURN(std::string bytes, ReadAllOf(fd, path));
    if (!bytes.empty() && bytes.back() != '\n') {
      // A torn last line: cut it so that the next line starts on a line of its own.
      const size_t keep = bytes.rfind('\n') == std::string::npos ? 0 : bytes.rfind('\n') + 1;
      if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) return Errno("truncating " + path);
      bytes.resize(keep);
    }
    CASELEDGER_ASSIGN_OR_RETURN(writer->entries_, ParseTokens(path, bytes));
    return writer;
  }

  const std::vector<Entry>& entries() const { return entries_; }

  // Appends `line` (one JSON object, no newline) and syncs it.
  Status Append(const std::string& line) {
    const std::string whole = line + "\n";
    // One write() for the whole line where the kernel allows, so that a reader sees either
    // nothing of it or all of it (a reader ignores a line without its newline anyway).
    for (size_t done = 0; done < whole.size();) {
      const ssize_t n = ::write(fd_.get(), whole.data() + done, whole.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("writing " + path_);
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd_.get()) != 0) return Errno("syncing " + path_);
    return Status::Ok();
  }

 private:
  TokenFileWriter(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  // A new file's directory entry is durable only once its directory is synced.
  static Status SyncDirectory(const std::string& path) {
    FileDescriptor dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0) return Errno("opening " + path);
    if (::fsync(dir.get()) != 0) return Errno("syncing " + path);
    return Status::Ok();
  }

  std::string path_;
  FileDescriptor fd_;  // closing it releases the flock
  std::vector<Entry> entries_;
};

// One line of the file, through capnp's JSON codec (the project's one JSON codec), which
// escapes whatever a worker id holds.
std::string JsonLine(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  capnp::MallocMessageBuilder message;
  auto root = message.initRoot<capnp::JsonValue>();
  auto object = root.initObject(static_cast<unsigned>(fields.size()));
  unsigned i = 0;
  for (const auto& [name, value] : fields) {
    object[i].setName(capnp::Text::Reader(name.data(), name.size()));
    object[i].initValue().setString(capnp::Text::Reader(value.data(), value.size()));
    ++i;
  }
  capnp::JsonCodec codec;
  return std::string(codec.encodeRaw(root.asReader()).cStr());
}

}  // namespace

Result<IssuedToken> IssueToken(const std::string& dir, std::string_view worker_id) {
  CASELEDGER_RETURN_IF_ERROR(ValidateWorkerId(worker_id));
  CASELEDGER_RETURN_IF_ERROR(InitSodium());
  CASELEDGER_ASSIGN_OR_RETURN(auto file, TokenFileWriter::Open(dir));

  IssuedToken issued;
  Sha256 digest{};
  for (bool unique = false; !unique;) {
    std::array<uint8_t, kSecretBytes> secret{};
    randombytes_buf(secret.data(), secret.size());
    issued.token = std::string(kTokenPrefix) + BytesToHex(secret);
    sodium_memzero(secret.data(), secret.size());
    digest = HashOf(issued.token);
    // Token ids are 48 bits of the hash: a clash is unlikely but would make revoke ambiguous.
    unique = true;
    for (const Entry& e : file->entries())
      unique = unique && e.record.token_id != TokenIdOf(digest);
  }
  issued.record.token_id = TokenIdOf(digest);
  issued.record.worker_id = std::string(worker_id);
  issued.record.issued_at = Now();
  CASELEDGER_RETURN_IF_ERROR(
      file->Append(JsonLine({{"op", "issue"},
                             {"tokenId", issued.record.token_id},
                             {"worker", worker_id},
                             {"sha256", BytesToHex(digest)},
                             {"at", FormatTimestamp(issued.record.issued_at)}})));
  return issued;
}

Status RevokeToken(const std::string& dir, std::string_view token_id) {
  CASELEDGER_ASSIGN_OR_RETURN(auto file, TokenFileWriter::Open(dir));
  for (const Entry& e : file->entries()) {
    if (e.record.token_id != token_id) continue;
    if (e.record.revoked_at) return Status::Ok();
    return file->Append(
        JsonLine({{"op", "revoke"}, {"tokenId", token_id}, {"at", FormatTimestamp(Now())}}));
  }
  return Status::NotFound("no token " + std::string(token_id) +
                          " was issued (see `caseledger users " + dir + " list`)");
}

Result<std::vector<TokenRecord>> ListTokens(const std::string& dir) {
  CASELEDGER_ASSIGN_OR_RETURN(auto entries, ReadTokens(dir));
  std::vector<TokenRecord> records;
  records.reserve(entries.size());
  for (Entry& e : entries) records.push_back(std::move(e.record));
  return records;
}

Result<std::string> WorkerOfToken(const std::string& dir, std::string_view token) {
  CASELEDGER_RETURN_IF_ERROR(CheckTokenForm(token));
  CASELEDGER_ASSIGN_OR_RETURN(auto entries, ReadTokens(dir));
  return MatchToken(entries, token);
}

struct TokenVerifier::Table {
  std::vector<Entry> entries;
  FileIdentity identity;
};

TokenVerifier::TokenVerifier(std::string dir) : dir_(std::move(dir)) {}
TokenVerifier::~TokenVerifier() = default;

Result<std::string> TokenVerifier::WorkerOf(std::string_view token) {
  CASELEDGER_RETURN_IF_ERROR(CheckTokenForm(token));
  FileIdentity now;
  if (struct stat st{}; ::stat(TokensPath(dir_).c_str(), &st) == 0)
    now = IdentityOf(st);
  else if (errno != ENOENT)
    return Errno("stat " + TokensPath(dir_));
  std::shared_ptr<const Table> table;
  {
    std::lock_guard lock(mutex_);
    if (table_ && table_->identity == now) table = table_;
  }
  if (!table) {
    CASELEDGER_ASSIGN_OR_RETURN(auto read, ReadTokensWithIdentity(dir_));
    auto fresh = std::make_shared<Table>(Table{std::move(read.first), read.second});
    std::lock_guard lock(mutex_);
    table_ = fresh;
    table = std::move(fresh);
  }
  return MatchToken(table->entries, token);
}

}  // namespace caseledger::server
