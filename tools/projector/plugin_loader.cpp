#include "plugin_loader.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/dll/library_info.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

namespace caseledger::projector {
namespace {

namespace fs = std::filesystem;

// The table size each ABI minor of major 1 defines (index = minor).
constexpr size_t kTableSizeOfMinor[] = {sizeof(caseledger_plugin)};
static_assert(std::size(kTableSizeOfMinor) == CASELEDGER_PLUGIN_ABI_MINOR + 1);

bool ValidName(const char* name) {
  if (name == nullptr) return false;
  const size_t n = std::strlen(name);
  if (n == 0 || n > 64) return false;
  return std::all_of(name, name + n, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// Step 1: the export table, read without loading. OK if the file exports our symbol.
Status CheckExports(const std::string& path) {
  std::vector<std::string> symbols;
  try {
    boost::dll::library_info info(path);
    symbols = info.symbols();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("not a shared library this system can load (") +
                                   e.what() + ")");
  }
  std::vector<std::string> ours;
  for (const std::string& s : symbols)
    if (s.starts_with(CASELEDGER_PLUGIN_SYMBOL_PREFIX)) ours.push_back(s);
  if (std::find(ours.begin(), ours.end(), CASELEDGER_PLUGIN_SYMBOL) != ours.end())
    return Status::Ok();
  if (ours.empty())
    return Status::InvalidArgument("exports no " CASELEDGER_PLUGIN_SYMBOL_PREFIX
                                   "* symbol: not a CaseLedger plugin");
  return Status::InvalidArgument("built for another plugin ABI major (exports " + ours.front() +
                                 "); this projector speaks ABI " +
                                 std::to_string(CASELEDGER_PLUGIN_ABI_MAJOR) + " (" +
                                 CASELEDGER_PLUGIN_SYMBOL + ")");
}

// Step 2: the table, after loading and before init.
Status CheckTable(const caseledger_plugin* t) {
  if (t == nullptr) return Status::InvalidArgument("its entry point returned no table");
  const std::string ours = std::to_string(CASELEDGER_PLUGIN_ABI_MAJOR) + "." +
                           std::to_string(CASELEDGER_PLUGIN_ABI_MINOR);
  if (t->abi_minor > CASELEDGER_PLUGIN_ABI_MINOR)
    return Status::InvalidArgument(
        "built for plugin ABI " + std::to_string(CASELEDGER_PLUGIN_ABI_MAJOR) + "." +
        std::to_string(t->abi_minor) + ", newer than this projector's " + ours);
  if (t->struct_size != kTableSizeOfMinor[t->abi_minor])
    return Status::InvalidArgument("its table is " + std::to_string(t->struct_size) +
                                   " bytes; ABI " + std::to_string(CASELEDGER_PLUGIN_ABI_MAJOR) +
                                   "." + std::to_string(t->abi_minor) + " defines " +
                                   std::to_string(kTableSizeOfMinor[t->abi_minor]));
  const char* host_tag = CASELEDGER_PLUGIN_BUILD_TAG;
  if (t->build_tag == nullptr || std::strcmp(t->build_tag, host_tag) != 0)
    return Status::InvalidArgument(
        std::string("built with \"") + (t->build_tag ? t->build_tag : "(no tag)") +
        "\", this projector with \"" + host_tag + "\" (compiler ABI and Cap'n Proto must match)");
  if (!ValidName(t->name))
    return Status::InvalidArgument("its name must be 1-64 characters of a-z, 0-9, _ and -");
  if (t->version == nullptr || *t->version == '\0')
    return Status::InvalidArgument("it gives no version");
  if (!t->init || !t->apply || !t->query || !t->shutdown)
    return Status::InvalidArgument("its table lacks init, apply, query or shutdown");
  return Status::Ok();
}

}  // namespace

Result<Hash256> FileSha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) return Status::IOError("cannot read " + path);
  Hash256 hash{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), hash.data(), &size);
  return hash;
}

Result<PluginSet> LoadPlugins(const std::vector<std::string>& dirs) {
  PluginSet set;
  std::set<std::string> names;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      return Status::NotFound("plugin directory " + dir + " does not exist");
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".so")
        files.push_back(entry.path());
    if (ec) return Status::IOError("cannot list plugin directory " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      const std::string path = fs::absolute(file).lexically_normal().string();
      auto refuse = [&](const Status& why) { set.refused.push_back({path, why.message()}); };
      if (Status s = CheckExports(path); !s.ok()) {
        refuse(s);
        continue;
      }
      auto sha = FileSha256(path);
      if (!sha.ok()) {
        refuse(sha.status());
        continue;
      }
      boost::dll::shared_library library;
      const caseledger_plugin* table = nullptr;
      try {
        library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
        table = library.get_alias<const caseledger_plugin*()>(CASELEDGER_PLUGIN_SYMBOL)();
      } catch (const std::exception& e) {
        refuse(Status::InvalidArgument(std::string("cannot be loaded: ") + e.what()));
        continue;
      }
      set.libraries.push_back(library);  // never unloaded, even when refused below
      if (Status s = CheckTable(table); !s.ok()) {
        refuse(s);
        continue;
      }
      if (!names.insert(table->name).second) {
        refuse(Status::AlreadyExists(std::string("another plugin is already named \"") +
                                     table->name + "\""));
        continue;
      }
      set.loaded.push_back({path, *sha, table});
    }
  }
  return set;
}

}  // namespace caseledger::projector
