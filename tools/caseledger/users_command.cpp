// caseledger users DIR add WORKER_ID | list | revoke TOKEN_ID: the server's tokens
// (DIR/meta/tokens, token_store.h), issued only to workers the ledger has registered.
//
// The ledger is opened read-only: tokens are managed beside a running server or writer,
// which see a new or revoked token at their next authentication.
#include <iostream>
#include <map>

#include "access_policy.h"
#include "command_support.h"
#include "commands.h"
#include "output.h"
#include "token_store.h"

namespace caseledger::cli {
namespace {

constexpr const char* kCommand = "users";

std::unique_ptr<Ledger> OpenReadOnly(const std::string& dir) {
  LedgerOptions options;
  options.read_only = true;
  options.master_key_file = MasterKeyFile();  // worker events have no personal fields
  auto ledger = Ledger::Open(dir, options);
  if (!ledger.ok()) Fail(kCommand, ledger.status());
  return std::move(ledger).value();
}

// How far the role reaches, in DOMAIN.md's terms, from what the worker stream says.
std::string ScopeOf(const server::Principal& who) {
  switch (who.role) {
    case server::Role::kChildrenDirector:
    case server::Role::kSupervisor:
      return who.location_code;
    case server::Role::kCaseworker:
      return who.location_code.empty() ? who.agency
                                       : who.agency + "; figures under " + who.location_code;
    case server::Role::kServiceProvider:
      return who.agency;
    case server::Role::kAuditor:
      return "all, read-only";
    case server::Role::kAdmin:
      return "workers and erasure, no case data";
  }
  return "";
}

// The worker as the ledger says now; none if the ledger holds no registration.
std::optional<server::Principal> CurrentPrincipal(Ledger& ledger, const std::string& worker) {
  auto who = server::LoadPrincipal(ledger, worker);
  if (who.ok()) return *who;
  if (who.status().code() == StatusCode::kUnauthenticated) return std::nullopt;
  Fail(kCommand, who.status());
}

void Add(const std::string& dir, const std::string& worker) {
  {
    auto ledger = OpenReadOnly(dir);
    if (!CurrentPrincipal(*ledger, worker))
      Fail(kCommand, Status::NotFound("worker " + worker +
                                      " has no registration in the ledger (stream worker-" +
                                      worker + "): append a WorkerRegistered first"));
  }
  auto issued = server::IssueToken(dir, worker);
  if (!issued.ok()) Fail(kCommand, issued.status());
  std::cout << issued->token << "\n" << std::flush;
  std::cerr << "caseledger " << kCommand << ": issued token " << issued->record.token_id
            << " to worker " << worker
            << ". It is shown only once (DIR keeps only its SHA-256): give it to the worker now; "
               "if it is lost, revoke it and add another\n";
}

void List(const std::string& dir, OutputFormat format) {
  auto tokens = server::ListTokens(dir);
  if (!tokens.ok()) Fail(kCommand, tokens.status());
  auto ledger = OpenReadOnly(dir);
  std::map<std::string, std::optional<server::Principal>> workers;  // read each stream once
  Table t{{{"token_id", false},
           {"worker", false},
           {"role", false},
           {"scope", false},
           {"issued_at", false},
           {"revoked_at", false}},
          {}};
  for (const server::TokenRecord& r : *tokens) {
    auto known = workers.find(r.worker_id);
    if (known == workers.end())
      known = workers.emplace(r.worker_id, CurrentPrincipal(*ledger, r.worker_id)).first;
    const std::optional<server::Principal>& who = known->second;
    t.rows.push_back({r.token_id, r.worker_id,
                      who ? std::string(server::RoleName(who->role)) : "unregistered",
                      who ? ScopeOf(*who) : "", FormatTimestamp(r.issued_at),
                      r.revoked_at ? FormatTimestamp(*r.revoked_at) : ""});
  }
  PrintTable(t, format, std::cout);
}

void Revoke(const std::string& dir, const std::string& token_id) {
  auto tokens = server::ListTokens(dir);
  if (!tokens.ok()) Fail(kCommand, tokens.status());
  for (const server::TokenRecord& r : *tokens) {
    if (r.token_id != token_id) continue;
    if (r.revoked_at) {
      std::cout << "token " << token_id << " of worker " << r.worker_id
                << " was already revoked at " << FormatTimestamp(*r.revoked_at) << "\n";
      return;
    }
    if (Status s = server::RevokeToken(dir, token_id); !s.ok()) Fail(kCommand, s);
    std::cout << "revoked token " << token_id << " of worker " << r.worker_id << "\n";
    return;
  }
  Fail(kCommand, Status::NotFound("no token " + token_id + " was issued (see `caseledger users " +
                                  dir + " list`)"));
}

constexpr const char* kFooter = R"(
Tokens: "clt_" and 64 hex digits, shown once by `add` on stdout and never again.
DIR/meta/tokens keeps one JSON line per issue or revocation, with the token's SHA-256
only: a stolen DIR gives no usable token. A token authenticates its worker as the ledger
says at each call: role and scope come from WorkerRegistered / WorkerRoleChanged in the
stream worker-WORKER_ID, so a role change needs no new token, and a worker whose
registration is voided is refused whatever token they hold.

The ledger is opened read-only: users works beside a running server, which sees an added
or revoked token at its next authentication.

Examples:
  caseledger users /srv/ledger add w-17 > /secure/handover/w-17.token
  caseledger users /srv/ledger list --format csv
  caseledger users /srv/ledger revoke 3f9a0c12d4e5
)";

}  // namespace

void AddUsersCommand(CLI::App& app) {
  struct Args {
    std::string dir, action, argument;
    OutputFormat format = OutputFormat::kTable;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "users",
      "The server's tokens, for workers registered in the ledger:\n"
      "  add WORKER_ID     issue a token to a registered worker (printed once)\n"
      "  list              every token: worker, current role and scope, issued, revoked\n"
      "  revoke TOKEN_ID   stop a token from authenticating (as `list` shows its id)");
  cmd->footer(kFooter);
  AddDirArgument(*cmd, args->dir);
  cmd->add_option("action", args->action, "add, list or revoke")
      ->required()
      ->check(CLI::IsMember({"add", "list", "revoke"}));
  cmd->add_option("argument", args->argument, "WORKER_ID for add, TOKEN_ID for revoke");
  AddFormatOption(*cmd, args->format);
  cmd->callback([args] {
    const bool needs_argument = args->action != "list";
    if (needs_argument && args->argument.empty())
      Fail(kCommand,
           Status::InvalidArgument(args->action + " needs " +
                                   (args->action == "add" ? "the WORKER_ID" : "the TOKEN_ID")));
    if (!needs_argument && !args->argument.empty())
      Fail(kCommand, Status::InvalidArgument("unexpected argument " + args->argument));
    if (args->action == "add") return Add(args->dir, args->argument);
    if (args->action == "list") return List(args->dir, args->format);
    Revoke(args->dir, args->argument);
  });
}

}  // namespace caseledger::cli
