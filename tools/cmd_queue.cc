// canonctl queue list|show|approve|reject|defer: the review queue from a terminal, straight to the database
// (--db CONNINFO or $CANON_DB). approve needs the rules (--rules DIR, default "rules") for survivorship, and
// `list --order learn` for the match model's thresholds (store::QueueOrder).
#include <cstdio>

#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "store/review.h"
#include "tools/commands.h"

namespace canon::tools {
namespace {

int Usage() {
  std::fprintf(stderr,
               "usage: canonctl queue list [--status pending|deferred|all] [--limit N]\n"
               "                           [--order score|learn] [--rules DIR]\n"
               "       canonctl queue show ID\n"
               "       canonctl queue approve|reject|defer ID [--actor NAME] [--rules DIR]\n"
               "  options: --db CONNINFO (else $CANON_DB)\n");
  return 2;
}

int Report(const Status& s) {
  std::fprintf(stderr, "canonctl queue: %s\n", s.ToString().c_str());
  return s.code() == Code::kNotFound || s.code() == Code::kFailedPrecondition ? 1 : 2;
}

}  // namespace

int CmdQueue(const Args& args) {
  if (args.empty()) return Usage();
  const std::string& verb = args[0];
  long long id = 0;
  if (verb == "show" || verb == "approve" || verb == "reject" || verb == "defer") {
    if (args.size() < 2) return Usage();
    try {
      id = std::stoll(args[1]);
    } catch (...) {
      return Usage();
    }
    if (id <= 0) return Usage();
  } else if (verb != "list") {
    return Usage();
  }
  auto conn = store::PgConn::Connect(DbConninfo(args));
  if (!conn.ok()) return Report(conn.status());
  store::PgConn& c = **conn;
  std::string actor = OptionValue(args, "--actor", "canonctl");
  if (verb == "list") {
    int limit = std::stoi(OptionValue(args, "--limit", "100"));
    store::QueueOrder order;
    const std::string by = OptionValue(args, "--order", "score");
    if (by == "learn") {
      auto match = LoadMatchRules(OptionValue(args, "--rules", "rules"));
      if (!match.ok()) return Report(match.status());
      order.kind = store::QueueOrder::kLearn;
      order.lower = match->model.lower();
      order.upper = match->model.upper();
    } else if (by != "score") {
      return Usage();
    }
    auto j = store::QueueListJson(c, OptionValue(args, "--status", "pending"), limit, order);
    if (!j.ok()) return Report(j.status());
    std::printf("%s\n", j->c_str());
    return 0;
  }
  if (verb == "show") {
    auto j = store::QueueShowJson(c, id);
    if (!j.ok()) return Report(j.status());
    if (j->empty()) return Report(Status::NotFound("no merge candidate " + args[1]));
    std::printf("%s\n", j->c_str());
    return 0;
  }
  Status s;
  if (verb == "approve") {
    auto rules = LoadRuleDir(OptionValue(args, "--rules", "rules"));
    if (!rules.ok()) return Report(rules.status());
    auto w = store::ApproveCandidate(c, id, actor, **rules);
    if (!w.ok()) return Report(w.status());
    std::printf("approved %lld: contact %lld\n", id, *w);
    return 0;
  }
  s = verb == "reject" ? store::RejectCandidate(c, id, actor) : store::DeferCandidate(c, id, actor);
  if (!s.ok()) return Report(s);
  std::printf("%s %lld\n", verb == "reject" ? "rejected" : "deferred", id);
  return 0;
}

}  // namespace canon::tools
