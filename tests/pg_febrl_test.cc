// Issue 4, "the same through the daemon": Febrl dataset1 posted record by record to POST /ingest/{source} (JSON)
// into a real canond must leave the same clusters in PostgreSQL as `canonctl dedupe` computes offline from the
// same records with the same rules.
//
// The Febrl files stay outside the project: dataset1.csv is read from $CANON_FEBRL_DIR, which scripts/test sets
// to ../shared/data/febrl beside the source tree. Without it (unset, or no readable dataset1.csv there) the test
// FAILS: a run that silently compared something else would hide a matcher that got worse on Febrl.
//
// Besides the agreement of the two sides, the daemon's partition is scored against the Febrl truth and must stay
// above floors set a little below what the shipped model reached when they were set (kMinPrecision, kMinRecall).
//
// Both sides see one input: the test flattens each record to the columns of kColumns (Febrl's street_number and
// address_1 joined into one street line, as bench/match_quality does, because one canonical field cannot be fed
// from two columns by either a JSON map or `--map`; country AU on every record, so regions like "vic" read), posts
// it as a JSON object to a `febrl` source whose map points at those keys, and writes the same rows to a CSV that
// `canonctl dedupe` reads with `--map column=field` for the same pairs. The partitions are compared pair by pair
// and each is scored against the Febrl truth (rec-N-org / rec-N-dup-k are one person).
//
// File order matters (incremental clustering is order-dependent): the records are posted one by one, each
// waiting for its 202, to a daemon with one worker, and the test checks that source_record ids follow inbox ids.
//
// Where the two sides differ by design, the comparison is set up so that they agree:
// - A record the rules refuse (Febrl has impossible birth dates such as month 95) is dead-lettered by canond; so
//   canonctl runs with --skip-refused, which leaves such rows out of matching, and the test requires the dead
//   letters to be exactly the rows canonctl reports as refused.
// - The shipped record rule wants an e-mail, a phone or a family name at a company; a Febrl person has none of
//   them, so the rules copy both sides read accepts a family name or an external id alone.
// - Review-band pairs: canond starts a new contact and files a merge_candidate, canonctl (without review counted
//   as match) starts a new cluster; both are "apart" here. Term frequencies: canonctl counts them over the batch
//   when it has 1000 rows, canond over what it has stored once that is 1000 records; with the 997 accepted
//   dataset1 records neither uses them (with dataset2, 5000 records, both do and the partitions still agreed).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "connectors/csv_reader.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

namespace {

// A column of the flattened input (the CSV header and the JSON key) and the canonical field both sides map it to.
struct Column {
  const char* name;
  const char* field;
};
constexpr Column kColumns[] = {
    {"given_name", "first_name"}, {"surname", "last_name"},    {"street", "street"},
    {"address_2", "street_2"},    {"suburb", "city"},          {"postcode", "postal_code"},
    {"state", "region"},          {"country", "country"},      {"date_of_birth", "birth_date"},
    {"soc_sec_id", "external_id"}, {"email", "email"},         {"phone_number", "phone"},
};

struct Input {
  std::string id;     // rec_id: the Idempotency-Key and canonctl's --id-column; never a matching feature
  std::string truth;  // the person
  std::map<std::string, std::string> values;  // column name -> value ("" = absent)
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Febrl's header and values carry a leading space: both are trimmed (the Febrl README says to).
bool ReadFebrl(const std::string& path, std::vector<Input>* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  IstreamByteSource src(in);
  CsvReader reader(&src);
  if (!reader.Start().ok()) return false;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < reader.header().size(); ++i) col[Trim(reader.header()[i])] = i;
  CsvRow row;
  auto get = [&](const char* name) {
    auto it = col.find(name);
    return it == col.end() || it->second >= row.fields.size() ? std::string() : Trim(row.fields[it->second]);
  };
  while (reader.Next(&row)) {
    Input r;
    r.id = get("rec_id");
    size_t a = r.id.find('-'), b = r.id.find('-', a + 1);
    r.truth = r.id.substr(a + 1, b - a - 1);
    const std::string number = get("street_number"), addr = get("address_1");
    r.values["given_name"] = get("given_name");
    r.values["surname"] = get("surname");
    r.values["street"] = number.empty() ? addr : addr.empty() ? number : number + " " + addr;
    r.values["address_2"] = get("address_2");
    r.values["suburb"] = get("suburb");
    r.values["postcode"] = get("postcode");
    r.values["state"] = get("state");
    r.values["country"] = "AU";  // Febrl's people are Australian
    r.values["date_of_birth"] = get("date_of_birth");
    r.values["soc_sec_id"] = get("soc_sec_id");
    out->push_back(std::move(r));
  }
  return reader.status().ok() && !out->empty();
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// The record as the client sends it: rec_id (not mapped: kept as an extra) and every non-empty column.
std::string ToJson(const Input& r) {
  std::string out = "{\"rec_id\":" + JsonString(r.id);
  for (const auto& c : kColumns) {
    auto it = r.values.find(c.name);
    if (it != r.values.end() && !it->second.empty()) out += "," + JsonString(c.name) + ":" + JsonString(it->second);
  }
  return out + "}";
}

// Febrl writes no comma, quote or line break in a value (checked), so no field is quoted.
void WriteCsv(const std::string& path, const std::vector<Input>& inputs) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << "rec_id";
  for (const auto& c : kColumns) f << "," << c.name;
  f << "\n";
  std::string needs_quotes;
  for (const auto& r : inputs) {
    std::string line = r.id;
    for (const auto& c : kColumns) {
      auto it = r.values.find(c.name);
      const std::string v = it == r.values.end() ? std::string() : it->second;
      if (v.find_first_of(",\"\r\n") != std::string::npos) needs_quotes = v;
      line += "," + v;
    }
    if (r.id.find_first_of(",\"\r\n") != std::string::npos) needs_quotes = r.id;
    f << line << "\n";
  }
  INFO("a value that would need CSV quoting: " << needs_quotes);
  REQUIRE(needs_quotes.empty());
}

// The [febrl] source: generic JSON, each canonical field at the JSON Pointer of its column.
std::string FebrlSource() {
  std::string s = "\n[febrl]\nkind = \"json\"\nauth = \"none\"\ndefault_country = \"AU\"\n[febrl.map]\n";
  for (const auto& c : kColumns) s += std::string(c.field) + " = \"/" + c.name + "\"\n";
  return s;
}

// Floors on dataset1 (1000 records, 500 true pairs), both sides. Measured when set, shipped rules: precision
// 1.0000, recall 0.9860 (tp 493, fp 0, fn 7). A wrong merge is the worst failure, so precision keeps almost no room
// (4 wrong pairs at 493 found); recall may lose 8 more pairs before the test fails.
constexpr double kMinPrecision = 0.99;
constexpr double kMinRecall = 0.97;

using Pair = std::pair<size_t, size_t>;  // input indexes, first < second

// Same-cluster pairs of a partition given as one cluster label per input ("" = its own cluster).
std::set<Pair> SameClusterPairs(const std::vector<std::string>& label) {
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < label.size(); ++i)
    if (!label[i].empty()) groups[label[i]].push_back(i);
  std::set<Pair> out;
  for (const auto& [k, v] : groups)
    for (size_t x = 0; x < v.size(); ++x)
      for (size_t y = x + 1; y < v.size(); ++y) out.emplace(v[x], v[y]);
  return out;
}

struct Pr {
  size_t tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp ? static_cast<double>(tp) / static_cast<double>(tp + fp) : 1.0; }
  double recall() const { return tp + fn ? static_cast<double>(tp) / static_cast<double>(tp + fn) : 1.0; }
};

Pr Score(const std::set<Pair>& predicted, const std::set<Pair>& truth) {
  Pr pr;
  for (const auto& p : predicted) (truth.count(p) ? pr.tp : pr.fp)++;
  pr.fn = truth.size() - pr.tp;
  return pr;
}

// canonctl dedupe --explain output: record_id -> {cluster_id, match_weight, decision, matched_record_id, explanation}
std::map<std::string, std::vector<std::string>> ReadClusters(const std::string& path) {
  std::map<std::string, std::vector<std::string>> out;
  std::ifstream in(path, std::ios::binary);
  IstreamByteSource src(in);
  CsvReader reader(&src);
  if (!reader.Start().ok()) return out;
  CsvRow row;
  while (reader.Next(&row)) {
    if (row.fields.empty()) continue;
    std::vector<std::string> rest(row.fields.begin() + 1, row.fields.end());
    rest.resize(5);
    out[row.fields[0]] = std::move(rest);
  }
  return out;
}

}  // namespace

TEST_CASE("Febrl dataset1 posted to the daemon clusters as canonctl dedupe does", "[pg][febrl]") {
  namespace fs = std::filesystem;
  const char* env = std::getenv("CANON_FEBRL_DIR");
  if (!env || !*env)
    FAIL("CANON_FEBRL_DIR is not set: point it at the folder holding Febrl's dataset1.csv (scripts/test sets it to "
         "../shared/data/febrl beside the source tree)");
  const std::string path = std::string(env) + "/dataset1.csv";
  std::vector<Input> inputs;
  const std::string& data_name = path;
  if (!fs::exists(path) || !ReadFebrl(path, &inputs)) FAIL("Febrl dataset1.csv is missing or unreadable: " << path);
  REQUIRE(inputs.size() == 1000);  // Febrl dataset1: 500 originals and 500 duplicates
  {
    std::set<std::string> ids;
    for (const auto& r : inputs) ids.insert(r.id);
    REQUIRE(ids.size() == inputs.size());  // ids key both partitions
  }

  RulesCopy rules;
  rules.Write("sources.toml", rules.Read("sources.toml") + FebrlSource());
  // A Febrl person has no e-mail, phone or company, which the shipped record rule asks of a lead: for a person
  // register, a family name or an external id identifies someone. Both sides read this rule set.
  rules.Replace("../schemas/fields.toml", "require_any = [[\"email\"], [\"phone\"], [\"last_name\", \"company\"]]",
                "require_any = [[\"email\"], [\"phone\"], [\"last_name\"], [\"external_id\"]]");

  // ---- Offline: canonctl dedupe over the same flattened records.
  TempDir tmp_dir("canon-febrl");
  const std::string& tmp = tmp_dir.path;
  const std::string csv = tmp + "/input.csv", clusters_csv = tmp + "/clusters.csv";
  WriteCsv(csv, inputs);
  std::string args = "dedupe " + csv + " --out " + clusters_csv + " --rules " + rules.rules() +
                     " --id-column rec_id --skip-refused --explain";
  for (const auto& c : kColumns) args += std::string(" --map ") + c.name + "=" + c.field;
  auto t0 = std::chrono::steady_clock::now();
  CliRun dedupe = RunCanonctl(args);
  INFO(dedupe.out);
  REQUIRE(dedupe.code == 0);
  auto offline = ReadClusters(clusters_csv);
  REQUIRE(offline.size() == inputs.size());
  const double dedupe_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // ---- Through the daemon: one JSON object per request, in input order.
  TestDb db;
  // One worker: two workers would write neighbouring records concurrently, and the clusters depend on order.
  Canond d(db, {{"workers", "1"}}, rules.rules());
  t0 = std::chrono::steady_clock::now();
  size_t refused = 0;
  std::string first_refusal;
  for (const auto& r : inputs) {
    auto res = HttpRequest(d.port(), "POST", "/ingest/febrl", ToJson(r), "application/json",
                           {{"Idempotency-Key", r.id}});
    if (res.status != 202) {
      if (!refused++) first_refusal = r.id + ": " + std::to_string(res.status) + " " + res.body;
    }
  }
  INFO("first refused post: " << first_refusal);
  REQUIRE(refused == 0);
  REQUIRE(WaitFor(db, "SELECT count(*) FROM inbox WHERE status = 'pending'", "0", 60000) == "0");
  const double daemon_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // The records the daemon refused (dead letters, stage validate) are the ones canonctl left out as refused.
  std::set<std::string> offline_refused, dead_lettered;
  for (const auto& [id, cols] : offline)
    if (cols[2] == "refused") offline_refused.insert(id);
  {
    auto c = db.Connect();
    auto dl = c->Exec("SELECT i.delivery_key, dl.stage, dl.reason FROM dead_letter dl "
                      "JOIN inbox i ON i.id = dl.inbox_id ORDER BY i.id");
    REQUIRE(dl.ok());
    for (int i = 0; i < dl->rows(); ++i) {
      std::printf("  dead letter %s (%s): %s\n", dl->Str(i, 0).c_str(), dl->Str(i, 1).c_str(), dl->Str(i, 2).c_str());
      CHECK(dl->Str(i, 1) == "validate");
      dead_lettered.insert(dl->Str(i, 0));
    }
  }
  CHECK(dead_lettered == offline_refused);
  // Written in post order: a later inbox row never got an earlier source_record id.
  CHECK(db.Count("SELECT count(*) FROM source_record a JOIN source_record b "
                 "ON a.inbox_id < b.inbox_id AND a.id > b.id") == 0);

  // Each record's live contact, keyed by its rec_id (the delivery key), following merged_into.
  std::unordered_map<std::string, long long> contact_of;
  std::unordered_map<std::string, std::string> daemon_decision;
  {
    auto c = db.Connect();
    auto live = c->Exec("SELECT id, merged_into FROM contact");
    REQUIRE(live.ok());
    std::unordered_map<long long, long long> merged_into;
    for (int i = 0; i < live->rows(); ++i)
      if (!live->IsNull(i, 1)) merged_into[live->Int(i, 0)] = live->Int(i, 1);
    auto members = c->Exec(
        "SELECT coalesce(sr.delivery_key, sr.raw->'extra'->>'rec_id'), em.contact_id, "
        "  coalesce(em.match_weight::text, ''), "
        "  (SELECT count(*) FROM merge_candidate mc WHERE mc.source_record_id = sr.id) "
        "FROM source_record sr JOIN entity_member em ON em.source_record_id = sr.id WHERE sr.source = 'febrl'");
    REQUIRE(members.ok());
    for (int i = 0; i < members->rows(); ++i) {
      long long contact = members->Int(i, 1);
      for (int hops = 0; hops < 64 && merged_into.count(contact); ++hops) contact = merged_into[contact];
      contact_of[members->Str(i, 0)] = contact;
      daemon_decision[members->Str(i, 0)] =
          members->Int(i, 3) ? "review " + members->Str(i, 2)
                             : (members->Str(i, 2).empty() ? "new" : "merge " + members->Str(i, 2));
    }
  }
  CHECK(contact_of.size() == inputs.size() - dead_lettered.size());

  std::vector<std::string> daemon_label(inputs.size()), dedupe_label(inputs.size()), truth_label(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto it = contact_of.find(inputs[i].id);
    if (it != contact_of.end()) daemon_label[i] = std::to_string(it->second);
    dedupe_label[i] = offline[inputs[i].id][0];
    truth_label[i] = inputs[i].truth;
  }
  const auto daemon_pairs = SameClusterPairs(daemon_label), dedupe_pairs = SameClusterPairs(dedupe_label),
             truth_pairs = SameClusterPairs(truth_label);
  std::vector<Pair> only_daemon, only_dedupe;
  size_t both = 0;
  for (const auto& p : daemon_pairs) {
    if (dedupe_pairs.count(p)) ++both;
    else only_daemon.push_back(p);
  }
  for (const auto& p : dedupe_pairs)
    if (!daemon_pairs.count(p)) only_dedupe.push_back(p);
  const Pr dp = Score(daemon_pairs, truth_pairs), op = Score(dedupe_pairs, truth_pairs);

  std::printf("pg_febrl: %s, %zu records, %zu true pairs\n", data_name.c_str(), inputs.size(), truth_pairs.size());
  std::printf("  same-cluster pairs: both %zu, only daemon %zu, only canonctl dedupe %zu\n", both,
              only_daemon.size(), only_dedupe.size());
  std::printf("  daemon (POST /ingest, PostgreSQL): P %.4f R %.4f (tp %zu fp %zu fn %zu), %.1f s\n", dp.precision(),
              dp.recall(), dp.tp, dp.fp, dp.fn, daemon_secs);
  std::printf("  canonctl dedupe:                   P %.4f R %.4f (tp %zu fp %zu fn %zu), %.1f s\n", op.precision(),
              op.recall(), op.tp, op.fp, op.fn, dedupe_secs);
  auto show = [&](const char* what, const std::vector<Pair>& pairs) {
    for (size_t k = 0; k < pairs.size() && k < 25; ++k) {
      const Input& a = inputs[pairs[k].first];
      const Input& b = inputs[pairs[k].second];
      const auto& ob = offline[b.id];
      std::printf("  %s: %s + %s (truth %s) | daemon on %s: %s | dedupe on %s: %s %s with %s [%s]\n", what,
                  a.id.c_str(), b.id.c_str(), a.truth == b.truth ? "same" : "different", b.id.c_str(),
                  daemon_decision[b.id].c_str(), b.id.c_str(), ob[2].c_str(), ob[1].c_str(), ob[3].c_str(),
                  ob[4].c_str());
    }
  };
  show("only daemon", only_daemon);
  show("only dedupe", only_dedupe);
  std::fflush(stdout);

  CHECK(only_daemon.empty());
  CHECK(only_dedupe.empty());
  CHECK(dp.precision() >= kMinPrecision);
  CHECK(dp.recall() >= kMinRecall);
  CHECK(op.precision() >= kMinPrecision);
  CHECK(op.recall() >= kMinRecall);
}

// The offline side of the comparison above: with --skip-refused a row the rules refuse stays out of matching, as
// canond dead-letters it; without, it is matched on what remains. (No database: runs with the unit tests.)
TEST_CASE("canonctl dedupe --skip-refused leaves refused rows out of matching", "[match][dedupe][febrl]") {
  TempDir tmp_dir("canon-skip-refused");
  const std::string& tmp = tmp_dir.path;
  const std::string in = tmp + "/in.csv", out = tmp + "/out.csv";
  std::ofstream(in) << "id,first_name,last_name,birth_date,phone\n"
                       "a1,Robert,Smith,1980-02-30,+1 415 555 0100\n"  // no 30 February: the record is refused
                       "a2,Robert,Smith,1980-02-03,+1 415 555 0100\n"
                       "a3,Robert,Smith,1980-02-03,+1 415 555 0100\n";
  const std::string common = "dedupe " + in + " --out " + out + " --rules " + SourceDir() + "/rules --id-column id";

  CliRun kept = RunCanonctl(common + " --explain");
  INFO(kept.out);
  REQUIRE(kept.code == 0);
  CHECK(kept.out.find("1 rows refused by the rules were matched on what remains") != std::string::npos);
  auto rows = ReadClusters(out);
  REQUIRE(rows.size() == 3);
  CHECK(rows["a2"][0] == "a1");  // joined the refused row on name and phone
  CHECK(rows["a3"][0] == "a1");

  CliRun skipped = RunCanonctl(common + " --skip-refused --explain");
  INFO(skipped.out);
  REQUIRE(skipped.code == 0);
  CHECK(skipped.out.find("1 rows refused by the rules were left out of matching") != std::string::npos);
  rows = ReadClusters(out);
  REQUIRE(rows.size() == 3);  // still one output row per input row
  CHECK(rows["a1"][0] == "a1");
  CHECK(rows["a1"][1].empty());  // no weight
  CHECK(rows["a1"][2] == "refused");
  CHECK(rows["a1"][4].find("birth_date") != std::string::npos);
  CHECK(rows["a2"][0] == "a2");  // the refused row is no candidate
  CHECK(rows["a3"][0] == "a2");
  CHECK(rows["a3"][2] == "merge");
}
