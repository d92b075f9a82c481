// Finding and loading projection plugins, with every check of DESIGN.md "Projections".
//
//   PluginSet set = LoadPlugins({"/usr/lib/caseledger/plugins"});
//   for (const LoadedPlugin& p : set.loaded) use(p.table);
//   for (const RefusedPlugin& r : set.refused) spdlog::warn("{}: {}", r.path, r.reason);
//
// Order of checks, each refusal naming the mismatch:
//  1. before loading, from the file's export table (boost::dll::library_info): it must
//     export CASELEDGER_PLUGIN_SYMBOL; a caseledger_plugin_vN of another major is refused
//     without ever running the library's code;
//  2. loaded with RTLD_NOW | RTLD_LOCAL (all symbols resolved now; none shared with other
//     plugins), then, before init: the table's struct size, its ABI minor (not newer than
//     ours), its build tag (same compiler ABI and Cap'n Proto), a valid unique name and
//     every required function.
// Libraries are never unloaded: a PluginSet keeps them open and must outlive every use
// of their tables (the projector keeps it for the life of the process).
#pragma once

#include <boost/dll/shared_library.hpp>
#include <string>
#include <vector>

#include "caseledger/plugin.h"
#include "caseledger/status.h"
#include "caseledger/tree_head.h"

namespace caseledger::projector {

struct LoadedPlugin {
  std::string path;  // absolute
  Hash256 sha256{};  // of the file, as loaded
  const caseledger_plugin* table = nullptr;
  std::string name() const { return table->name; }
};

struct RefusedPlugin {
  std::string path;
  std::string reason;
};

struct PluginSet {
  std::vector<LoadedPlugin> loaded;    // in file-name order within each directory
  std::vector<RefusedPlugin> refused;  // files that look like plugins but may not run
  std::vector<boost::dll::shared_library> libraries;  // kept open for ever
};

// Loads every "*.so" file directly in `dirs` (not recursively; nothing else is searched).
// A directory that does not exist is an error; a refused file is reported, not an error.
Result<PluginSet> LoadPlugins(const std::vector<std::string>& dirs);

// The SHA-256 of a file's bytes.
Result<Hash256> FileSha256(const std::string& path);

}  // namespace caseledger::projector
