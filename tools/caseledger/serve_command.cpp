// caseledger serve DIR: the ledger over the network (Cap'n Proto RPC, docs/server.md),
// with tokens and roles, until SIGINT or SIGTERM.
#include <filesystem>
#include <iostream>

#include "command_support.h"
#include "commands.h"
#include "plugin_table.h"
#include "server.h"
#include "supervisor.h"

namespace caseledger::cli {
namespace {

constexpr const char* kFooter = R"(
Who may do what: every caller presents a token (`caseledger users DIR add WORKER`), issued
to a worker registered in the ledger (WorkerRegistered in worker-<id>). The worker's role
and scope, as the ledger says at each call, decide what they may append and read (DOMAIN.md
roles x operations); events are recorded by "worker:<id>" with that worker as actor,
whatever the client claims. Every read of a case's history is recorded first
(CaseHistoryRead in access-<case>, with the purpose the caller states).

The server is DIR's only writer while it runs. It starts the projector for queries (with
--plugin-dir, else the built-in plugins) unless --no-projector. Plain connections only on
loopback: anywhere else needs --tls-cert and --tls-key. It prints "listening on ADDRESS"
once it accepts connections, and stops cleanly on SIGINT or SIGTERM.

Example:
  caseledger serve /srv/ledger --master-key-file /etc/caseledger/master.key \
      --listen 0.0.0.0:7400 --tls-cert server.pem --tls-key server.key \
      --key /etc/caseledger/signing.key --checkpoint-every 10000
)";

}  // namespace

void AddServeCommand(CLI::App& app) {
  struct Args {
    std::string dir;
    server::ServerOptions options;
    std::vector<std::string> plugin_dirs;
    bool no_projector = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve the ledger over the network (Cap'n Proto RPC) to workers with tokens");
  cmd->footer(kFooter);
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("--listen", args->options.listen,
                  "HOST:PORT (port 0: any free port) or unix:PATH")
      ->default_str("127.0.0.1:7400");
  auto* cert = cmd->add_option("--tls-cert", args->options.tls_cert,
                               "PEM certificate chain: TLS on every connection");
  auto* key = cmd->add_option("--tls-key", args->options.tls_key, "PEM private key of --tls-cert");
  cert->needs(key);
  key->needs(cert);
  AddPluginDirOption(*cmd, args->plugin_dirs);
  cmd->add_flag("--no-projector", args->no_projector,
                "Serve without the projector: queries are refused");
  auto* signing = cmd->add_option("--key", args->options.signing_key,
                                  "Private key file to sign checkpoints with (caseledger keygen)");
  auto* every = cmd->add_option("--checkpoint-every", args->options.checkpoint_every,
                                "Sign a checkpoint every N events committed (needs --key)")
                    ->check(CLI::PositiveNumber)
                    ->type_name("N");
  signing->needs(every);
  every->needs(signing);
  cmd->add_option("--threads", args->options.threads,
                  "Threads for blocking calls (bounds the appends one group commit gathers)")
      ->check(CLI::Range(1, 1024))
      ->default_str("64");
  cmd->callback([args] {
    const std::string name = "serve";
    server::ServerOptions options = args->options;
    options.dir = args->dir;
    options.master_key_file = MasterKeyFile();
    if (!args->no_projector) {
      DefaultPluginDirs(args->plugin_dirs);
      std::error_code ec;
      const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
      if (ec) Fail(name, Status::IOError("cannot find this executable: " + ec.message()));
      options.projector_argv = {exe.string(), "project", args->dir};
      for (const std::string& d : args->plugin_dirs) {
        options.projector_argv.push_back("--plugin-dir");
        options.projector_argv.push_back(std::filesystem::absolute(d).string());
      }
      options.projector_argv.push_back("--follow");
    }
    projector::InstallStopHandlers();
    Status served = server::RunServer(
        options, [] { return projector::StopRequested(); },
        [](const std::string& bound) { std::cout << "listening on " << bound << std::endl; });
    if (!served.ok()) Fail(name, served);
  });
}

}  // namespace caseledger::cli
