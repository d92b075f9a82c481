#include "seal/master_key.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace caseledger::seal {

MasterKey::~MasterKey() { sodium_memzero(bytes.data(), bytes.size()); }

std::string MasterKeyPath(const std::string& path) {
  if (!path.empty()) return path;
  const char* env = std::getenv("CASELEDGER_MASTER_KEY_FILE");
  return env ? env : "";
}

Result<MasterKey> LoadMasterKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::NotFound("cannot read the master key file " + path + ": " +
                            std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  std::string hex = text.str();
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
  MasterKey key;
  size_t length = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(key.bytes.data(), key.bytes.size(), hex.data(), hex.size(), nullptr, &length,
                     nullptr) != 0 ||
      length != 32) {
    sodium_memzero(hex.data(), hex.size());
    return Status::InvalidArgument("the master key file " + path +
                                   " does not hold 64 hexadecimal digits");
  }
  sodium_memzero(hex.data(), hex.size());
  return key;
}

Result<MasterKey> CreateMasterKeyFile(const std::string& path) {
  MasterKey key;
  randombytes_buf(key.bytes.data(), key.bytes.size());
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, key.bytes.data(), key.bytes.size());
  hex[64] = '\n';
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST)
      return Status::AlreadyExists("the master key file " + path + " already exists");
    return Status::IOError("cannot create the master key file " + path + ": " +
                           std::strerror(errno));
  }
  const bool ok =
      ::write(fd, hex, sizeof hex) == static_cast<ssize_t>(sizeof hex) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  sodium_memzero(hex, sizeof hex);
  if (!ok)
    return Status::IOError("cannot write the master key file " + path + ": " + std::strerror(err));
  return key;
}

}  // namespace caseledger::seal
