#include "pem_file.h"

#include <fstream>
#include <iterator>

namespace caseledger::client_internal {

Result<std::string> ReadPemFile(const std::string& path, std::string_view what) {
  constexpr size_t kMaxPemBytes = 1 << 20;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(std::string(what) + ": " + path + " cannot be read");
  std::string text(std::istreambuf_iterator<char>(in), {});
  if (in.bad()) return Status::NotFound(std::string(what) + ": " + path + " cannot be read");
  if (text.size() > kMaxPemBytes)
    return Status::InvalidArgument(std::string(what) + ": " + path +
                                   " is larger than a PEM file of keys and certificates can be");
  return text;
}

}  // namespace caseledger::client_internal
