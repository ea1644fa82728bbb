// bench/match_latency: per-record match time in the store (blocking-key lookup, member load, scoring, decision,
// survivorship) against stores of 10k, 100k and 1M entities, side by side. Baseline: the 10k store, measured in
// the same run; the other columns print their ratio to it.
//
//   bench_match_latency --db CONNINFO [--rules DIR] [--sizes 10000,100000,1000000] [--probes 5000] [--rounds 10]
//                       [--statements]
// --warmup N (200) probes of other people before each size's measured probes.
// --rounds N (10): each size is loaded into a database of its own first; then the probes go round the sizes in N
// blocks, so every size is measured over the same minutes (the baseline beside the figure, in time too).
// --keep NAME keeps the stores in databases NAME_<size> for the next run with the same NAME.
// --statements prints each size's statements by server time (needs pg_stat_statements preloaded).
// CONNINFO names a server where the bench may CREATE DATABASE canon_bench_match_<pid>_<size> (dropped at the end).
// The store is generated in C++ (synthetic people, keys by the real StoreKeys) and loaded with COPY; the set-up
// time of each size is printed. A probe is one WriteRecord (with LockKeys) in a transaction that is rolled back,
// so every probe sees the same store (vacuumed and checkpointed after each load, as a store in service is): half
// are typo variants of stored people (they score and join), half are new people (they find few or no
// candidates).
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "connectors/rule_dir.h"
#include "hygiene/normalize.h"
#include "store/candidates.h"
#include "store/entities.h"
#include "store/migrate.h"
#include "store/pg.h"

using Clock = std::chrono::steady_clock;
using namespace canon;

namespace {

const char* kGiven[] = {"james", "mary", "robert", "patricia", "john", "jennifer", "michael", "linda", "david",
                        "elizabeth", "william", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah",
                        "charles", "karen", "christopher", "lisa", "daniel", "nancy", "matthew", "betty", "anthony",
                        "margaret", "mark", "sandra", "donald", "ashley", "steven", "kimberly", "paul", "emily",
                        "andrew", "donna", "joshua", "michelle", "kenneth", "carol", "kevin", "amanda", "brian",
                        "melissa", "george", "deborah", "timothy", "stephanie"};
const char* kSyl[] = {"an", "ber", "cal", "dor", "el", "fen", "gar", "hol", "is", "jor", "kel", "lam", "mor", "nes",
                      "ol", "par", "quin", "ros", "sten", "tal", "ur", "vin", "wex", "yor", "zan", "bro", "cre", "dal",
                      "fitz", "grim"};
const char* kCity[] = {"springfield", "riverside", "fairview", "madison", "georgetown", "salem", "franklin", "clinton",
                       "greenville", "bristol", "dover", "ashland", "oxford", "milton", "newport", "auburn"};

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string Cap(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(s[0] - 32);
  return s;
}

// Person i: deterministic fields, already in normalized form.
NormalizedRecord Person(uint64_t i) {
  uint64_t h = Mix(i);
  NormalizedRecord n;
  n.fields["first_name"] = Cap(kGiven[h % 50]);
  std::string last = std::string(kSyl[(h >> 8) % 30]) + kSyl[(h >> 16) % 30] + kSyl[(h >> 24) % 30];
  n.fields["last_name"] = Cap(last);
  char phone[32];
  std::snprintf(phone, sizeof phone, "+1%03d%07llu", 201 + static_cast<int>((h >> 32) % 700),
                static_cast<unsigned long long>(i % 10000000));
  n.fields["phone"] = phone;
  n.keys["phone_e164"] = phone;
  char dob[16];
  std::snprintf(dob, sizeof dob, "%04d-%02d-%02d", 1940 + static_cast<int>((h >> 40) % 60),
                1 + static_cast<int>((h >> 46) % 12), 1 + static_cast<int>((h >> 50) % 28));
  n.fields["birth_date"] = dob;
  char pc[8];
  std::snprintf(pc, sizeof pc, "%05d", static_cast<int>((h >> 20) % 99999));
  n.fields["postal_code"] = pc;
  n.fields["city"] = Cap(kCity[(h >> 56) % 16]);
  std::string email = kGiven[h % 50] + std::string(".") + last + std::to_string(i) + "@example.com";
  n.fields["email"] = email;
  n.keys["email_key"] = email;
  n.rules_version = "bench";
  return n;
}

std::string CopyEscape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\\') out += "\\\\";
    else if (ch == '\t') out += "\\t";
    else if (ch == '\n') out += "\\n";
    else out += ch;
  }
  return out;
}

std::string MapJson(const std::map<std::string, std::string>& m) {
  std::string out = "{";
  for (const auto& [k, v] : m) out += (out.size() > 1 ? "," : "") + store::JsonEscape(k) + ":" + store::JsonEscape(v);
  return out + "}";
}

bool Copy(store::PgConn& c, const std::string& sql, const std::string& data) {
  PGresult* r = PQexec(c.raw(), sql.c_str());
  bool ok = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  if (!ok) {
    std::fprintf(stderr, "COPY failed to start: %s\n", PQerrorMessage(c.raw()));
    return false;
  }
  if (PQputCopyData(c.raw(), data.data(), static_cast<int>(data.size())) != 1 || PQputCopyEnd(c.raw(), nullptr) != 1)
    return false;
  r = PQgetResult(c.raw());
  ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) std::fprintf(stderr, "COPY failed: %s\n", PQerrorMessage(c.raw()));
  PQclear(r);
  while ((r = PQgetResult(c.raw()))) PQclear(r);
  return ok;
}

// Adds people [from, to) as one-member entities: contact, source_record, entity_member (with its copy of the
// record's match form, as the writers fill it), match_key, term_count.
bool Load(store::PgConn& c, const RuleSet& rules, uint64_t from, uint64_t to) {
  const uint64_t kChunk = 50000;
  // Term counts as the writers' folds leave them (store::FoldTermCounts): one row per value, in shard 0, summed over
  // the whole load and added to what earlier loads counted.
  std::map<std::pair<std::string, std::string>, long long> counts;
  for (uint64_t lo = from; lo < to; lo += kChunk) {
    uint64_t hi = std::min(to, lo + kChunk);
    std::string contacts, records, keys;
    for (uint64_t i = lo; i < hi; ++i) {
      NormalizedRecord n = Person(i);
      std::string id = std::to_string(i + 1);
      contacts += id + "\t" + CopyEscape(n.fields["first_name"]) + "\t" + CopyEscape(n.fields["last_name"]) + "\t" +
                  n.fields["phone"] + "\t" + n.fields["email"] + "\tbench\tbench\n";
      std::string norm = "{\"fields\":" + MapJson(n.fields) + ",\"keys\":" + MapJson(n.keys) + "}";
      records += id + "\tbench\t{}\t" + CopyEscape(norm) + "\tbench\t2026-01-01 00:00:00+00\n";
      for (const auto& k : store::StoreKeys(n, rules)) keys += std::to_string(store::KeyHash(k)) + "\t" + id + "\n";
      MatchInput in = MatchInputFromNormalized(n, id);
      for (MatchField f : rules.match()->model->TfFields())
        if (!in.Get(f).empty()) {
          std::string v = in.Get(f);
          std::transform(v.begin(), v.end(), v.begin(), [](unsigned char ch) { return std::tolower(ch); });
          ++counts[{MatchFieldName(f), v}];
          ++counts[{MatchFieldName(f), ""}];
        }
    }
    if (!Copy(c, "COPY contact (id, first_name, last_name, phone, email, original_source, latest_source) FROM STDIN",
              contacts) ||
        !Copy(c, "COPY source_record (id, source, raw, normalized, rules_version, received_at) FROM STDIN", records) ||
        !c.Exec(std::string("INSERT INTO entity_member (source_record_id, contact_id, ") +
                    store::kMemberFormColumns + ") SELECT s.id, s.id, " + store::kMemberFormSelect +
                    " FROM source_record s WHERE s.id > $1 AND s.id <= $2",
                {std::to_string(lo), std::to_string(hi)})
             .ok() ||
        !Copy(c, "COPY match_key (key_hash, contact_id) FROM STDIN", keys))
      return false;
  }
  std::string terms;
  for (const auto& [fv, count] : counts)
    terms += fv.first + "\t" + CopyEscape(fv.second) + "\t" + std::to_string(count) + "\n";
  if (!c.Exec("CREATE TEMP TABLE bench_terms (field text, value text, n bigint)").ok() ||
      !Copy(c, "COPY bench_terms (field, value, n) FROM STDIN", terms) ||
      !c.Exec("INSERT INTO term_count (field, value, shard, n) SELECT field, value, 0, n FROM bench_terms "
              "ON CONFLICT (field, value, shard) DO UPDATE SET n = term_count.n + excluded.n")
           .ok() ||
      !c.Exec("DROP TABLE bench_terms").ok())
    return false;
  auto r = c.Exec("SELECT setval('contact_id_seq', $1), setval('source_record_id_seq', $1)", {std::to_string(to)});
  if (!r.ok()) return false;
  // The store as it stands in service, not straight after a bulk load: vacuumed (hint bits and the visibility
  // map set, as autovacuum leaves a table) and checkpointed (the load's dirty pages written). Without this the
  // probes pay for the load: the first touch of each freshly copied page sets its hint bits and, after the
  // load's checkpoints, writes a full-page image (at 1M entities the foreign-key checks alone then took 4.6 ms a
  // probe).
  //
  // Autovacuum is off for the bench's tables: each probe's writes are rolled back, so every probe leaves dead
  // rows a store in service would not have (its records are committed), and on this 2-core machine autovacuum
  // cleaning them up ran beside the probes every minute (the slow probes came in bursts, not with particular
  // records). The store is vacuumed before each size's probes instead.
  for (const char* t : {"contact", "source_record", "entity_member", "match_key", "term_count", "quarantine",
                        "merge_candidate", "over_common_key"})
    if (!c.Exec(std::string("ALTER TABLE ") + t + " SET (autovacuum_enabled = false)").ok()) return false;
  return c.Exec("VACUUM (ANALYZE)").ok() && c.Exec("CHECKPOINT").ok();
}

struct Figures {
  double p50 = 0, p99 = 0, mean = 0;
  double p99_stored = 0, p99_new = 0;  // of the typo variants of stored people, of the new people
  double client_cpu_ms = 0;  // this process's CPU time per probe (the rest of a probe is the server and the wire)
  double server_cpu_ms = -1;  // the server backend's, when it runs on this machine and /proc shows it
  int merged = 0, reviewed = 0, fresh = 0;
  size_t over_common = 0;
};

double CpuMs() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return 1e3 * (u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-3 * (u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// CPU time of process `pid` from /proc (utime + stime), or -1 when it cannot be read (a remote server).
double ProcCpuMs(const std::string& pid) {
  FILE* f = std::fopen(("/proc/" + pid + "/stat").c_str(), "r");
  if (!f) return -1;
  char buf[1024];
  size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = 0;
  const char* p = std::strrchr(buf, ')');
  if (!p) return -1;
  unsigned long long ut = 0, st = 0;
  // After the command: state, then fields 4..13, then utime (14) and stime (15).
  if (std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return -1;
  return 1e3 * static_cast<double>(ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// One size's probes, accumulated over the rounds.
struct Samples {
  std::vector<double> ms, ms_stored, ms_new;
  double client_cpu_ms = 0, server_cpu_ms = 0;
  bool server_cpu_known = true;
  int merged = 0, reviewed = 0, fresh = 0;
  size_t over_common = 0;
};

// Probes `probes` records into *out; `seed` picks which people (the warm-up uses other people than the measured
// probes, and each round of a size other people than its earlier rounds).
void Probe(store::PgConn& c, const RuleSet& rules, uint64_t stored, int probes, uint64_t seed, Samples* out) {
  Samples& f = *out;
  const double cpu0 = CpuMs();
  std::string backend;
  if (auto r = c.Exec("SELECT pg_backend_pid()"); r.ok()) backend = r->Str(0, 0);
  const double server0 = ProcCpuMs(backend);
  for (int p = 0; p < probes; ++p) {
    NormalizedRecord n;
    if (p % 2 == 0) {
      n = Person(Mix(p + seed) % stored);  // a stored person with a typo in the surname and a new e-mail
      std::string& last = n.fields["last_name"];
      std::swap(last[2], last[3]);
      n.fields["email"] = "other" + std::to_string(p + seed) + "@mail.test";
      n.keys["email_key"] = n.fields["email"];
    } else {
      n = Person(50000000 + seed + p);  // nobody stored
    }
    Record raw;
    raw.source = "bench";
    raw.index = p;
    auto t0 = Clock::now();
    if (!c.Exec("BEGIN").ok()) std::exit(2);
    if (Status s = store::LockKeys(c, store::StoreKeys(n, rules)); !s.ok()) std::exit(2);
    auto w = store::WriteRecord(c, {0, ""}, raw, n, rules);
    if (!w.ok()) {
      std::fprintf(stderr, "WriteRecord: %s\n", w.status().ToString().c_str());
      std::exit(2);
    }
    c.Exec("ROLLBACK");
    f.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    (p % 2 == 0 ? f.ms_stored : f.ms_new).push_back(f.ms.back());
    if (w->decision == "merge") ++f.merged;
    else if (w->decision == "review") ++f.reviewed;
    else ++f.fresh;
    f.over_common += w->over_common_keys.size();
  }
  f.client_cpu_ms += CpuMs() - cpu0;
  const double server1 = ProcCpuMs(backend);
  if (server0 >= 0 && server1 >= 0) f.server_cpu_ms += server1 - server0;
  else f.server_cpu_known = false;
}

Figures Summarize(Samples s) {
  Figures f;
  f.merged = s.merged;
  f.reviewed = s.reviewed;
  f.fresh = s.fresh;
  f.over_common = s.over_common;
  if (s.ms.empty()) return f;
  const double n = static_cast<double>(s.ms.size());
  f.client_cpu_ms = s.client_cpu_ms / n;
  if (s.server_cpu_known) f.server_cpu_ms = s.server_cpu_ms / n;
  auto p99 = [](std::vector<double>& v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[std::min(v.size() - 1, v.size() * 99 / 100)];
  };
  for (double x : s.ms) f.mean += x / n;
  f.p99 = p99(s.ms);
  f.p50 = s.ms[s.ms.size() / 2];
  f.p99_stored = p99(s.ms_stored);
  f.p99_new = p99(s.ms_new);
  return f;
}

// With --statements (the server preloads pg_stat_statements): the statements of one size's probes by server time.
void PrintStatements(store::PgConn& c, uint64_t size, int probes) {
  auto r = c.Exec(
      "SELECT calls, total_exec_time / $1::float8, shared_blks_hit + shared_blks_read, left(regexp_replace(query, "
      "'\\s+', ' ', 'g'), 90) FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' "
      "AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) "
      "ORDER BY total_exec_time DESC LIMIT 12",
      {std::to_string(probes)});
  if (!r.ok()) {
    std::fprintf(stderr, "pg_stat_statements: %s\n", r.status().ToString().c_str());
    return;
  }
  std::printf("statements at %llu entities (server ms per probe, buffers per call):\n",
              static_cast<unsigned long long>(size));
  for (int i = 0; i < r->rows(); ++i)
    std::printf("  %7.3f ms %8lld calls %8.0f buf  %s\n", std::stod(r->Str(i, 1)), r->Int(i, 0),
                std::stod(r->Str(i, 2)) / std::max<long long>(1, r->Int(i, 0)), r->Str(i, 3).c_str());
}

std::string Opt(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = Opt(argc, argv, "--db", "");
  std::string rules_dir = Opt(argc, argv, "--rules", std::string(CANON_SOURCE_DIR) + "/rules");
  int probes = std::stoi(Opt(argc, argv, "--probes", "5000"));
  int warmup = std::stoi(Opt(argc, argv, "--warmup", "200"));
  bool statements = false;
  for (int i = 1; i < argc; ++i) statements = statements || std::string(argv[i]) == "--statements";
  std::vector<uint64_t> sizes;
  {
    std::string s = Opt(argc, argv, "--sizes", "10000,100000,1000000");
    size_t pos = 0;
    while (pos < s.size()) {
      size_t comma = s.find(',', pos);
      if (comma == std::string::npos) comma = s.size();
      sizes.push_back(std::stoull(s.substr(pos, comma - pos)));
      pos = comma + 1;
    }
    std::sort(sizes.begin(), sizes.end());
  }
  auto rules = LoadRuleDir(rules_dir);
  if (!rules.ok() || !(*rules)->match()) {
    std::fprintf(stderr, "rules: %s\n", rules.ok() ? "no match.toml" : rules.status().ToString().c_str());
    return 2;
  }
  auto admin = store::PgConn::Connect(db);
  if (!admin.ok()) {
    std::fprintf(stderr, "%s\n", admin.status().ToString().c_str());
    return 2;
  }
  // Each size is its own store, in its own database, loaded before any probe; the probes then go round the sizes
  // in --rounds blocks (probes / rounds each), so every size is measured over the same minutes. Measured one size
  // after the other, the large store's probes came after its 90-second load and the small one's after a
  // 1.5-second load: what the machine did meanwhile (the OS writing back gigabytes, other processes) fell on one
  // size only, and the same build's p99 ratio ranged from 1.15 to 1.64 in four runs.
  // --keep NAME: the stores stay in databases NAME_<size> after the run and a later run with NAME probes them
  // again instead of loading them (for profiling one change at a time; the probes roll back, so they do not drift).
  const int rounds = std::max(1, std::stoi(Opt(argc, argv, "--rounds", "10")));
  const std::string keep = Opt(argc, argv, "--keep", "");
  const std::string base = keep.empty() ? "canon_bench_match_" + std::to_string(getpid()) : keep;
  std::vector<std::unique_ptr<store::PgConn>> conns;
  std::vector<std::string> names;
  std::vector<double> setup;
  for (uint64_t size : sizes) {
    const std::string name = base + "_" + std::to_string(size);
    auto exists = (*admin)->Exec("SELECT 1 FROM pg_database WHERE datname = $1", {name});
    if (!exists.ok()) return 2;
    if (exists->rows() == 0 && !(*admin)->Exec("CREATE DATABASE " + name).ok()) return 2;
    names.push_back(name);
    auto conn = store::PgConn::Connect(db + " dbname=" + name);
    if (!conn.ok()) return 2;
    store::PgConn& c = **conn;
    auto mig = store::Migrate(c, std::string(CANON_SOURCE_DIR) + "/schemas/migrations");
    if (!mig.ok()) {
      std::fprintf(stderr, "migrate: %s\n", mig.status().ToString().c_str());
      return 2;
    }
    if (statements && !c.Exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").ok()) return 2;
    uint64_t stored = 0;
    if (auto r = c.Exec("SELECT count(*) FROM contact"); r.ok()) stored = static_cast<uint64_t>(r->Int(0, 0));
    if (stored != 0 && stored != size) {
      std::fprintf(stderr, "database %s holds %llu entities, not %llu\n", name.c_str(),
                   static_cast<unsigned long long>(stored), static_cast<unsigned long long>(size));
      return 2;
    }
    auto t0 = Clock::now();
    // A kept store: the dead rows earlier runs' rolled-back probes left are vacuumed away first.
    if (stored == 0 ? !Load(c, **rules, 0, size) : !c.Exec("VACUUM (ANALYZE)").ok()) return 2;
    setup.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    std::fprintf(stderr, "store of %llu entities ready (+%.1f s)\n", static_cast<unsigned long long>(size),
                 setup.back());
    conns.push_back(std::move(*conn));
  }
  // Warm-up on other people than the measured probes: a store in service has the upper levels and the hot pages
  // of its indexes cached, not the pages of the records about to arrive.
  for (size_t i = 0; i < sizes.size(); ++i) {
    Samples discard;
    Probe(*conns[i], **rules, sizes[i], warmup, 1000000, &discard);
  }
  if (statements) conns.front()->Exec("SELECT pg_stat_statements_reset()");
  std::vector<Samples> samples(sizes.size());
  const int block = std::max(2, probes / rounds / 2 * 2);  // even: half typo variants, half new people
  for (int done = 0; done < probes; done += block)
    for (size_t i = 0; i < sizes.size(); ++i)
      Probe(*conns[i], **rules, sizes[i], std::min(block, probes - done), static_cast<uint64_t>(done), &samples[i]);
  std::vector<Figures> figs;
  for (size_t i = 0; i < sizes.size(); ++i) {
    figs.push_back(Summarize(samples[i]));
    if (statements) PrintStatements(*conns[i], sizes[i], probes);
  }
  conns.clear();
  if (keep.empty())
    for (const auto& name : names) (*admin)->Exec("DROP DATABASE " + name + " WITH (FORCE)");

  std::printf("match latency per record (WriteRecord + LockKeys, rolled back), %d probes per size in %d rounds "
              "over the sizes: half typo variants of stored people, half new people\n",
              probes, (probes + block - 1) / block);
  std::printf("%-28s", "entities");
  for (uint64_t s : sizes) std::printf("%14llu", static_cast<unsigned long long>(s));
  std::printf("\n%-28s", "set-up (load, s)");
  for (double s : setup) std::printf("%14.1f", s);
  std::printf("\n%-28s", "p50 ms");
  for (auto& f : figs) std::printf("%14.3f", f.p50);
  std::printf("\n%-28s", "p99 ms");
  for (auto& f : figs) std::printf("%14.3f", f.p99);
  std::printf("\n%-28s", "  p99 typo variants ms");
  for (auto& f : figs) std::printf("%14.3f", f.p99_stored);
  std::printf("\n%-28s", "  p99 new people ms");
  for (auto& f : figs) std::printf("%14.3f", f.p99_new);
  std::printf("\n%-28s", "mean ms");
  for (auto& f : figs) std::printf("%14.3f", f.mean);
  std::printf("\n%-28s", "client CPU ms per probe");
  for (auto& f : figs) std::printf("%14.3f", f.client_cpu_ms);
  std::printf("\n%-28s", "server CPU ms per probe");
  for (auto& f : figs) {
    if (f.server_cpu_ms < 0) std::printf("%14s", "n/a");
    else std::printf("%14.3f", f.server_cpu_ms);
  }
  std::printf("\n%-28s", "p50 ratio to baseline");
  for (auto& f : figs) std::printf("%14.2f", f.p50 / figs.front().p50);
  std::printf("\n%-28s", "p99 ratio to baseline");
  for (auto& f : figs) std::printf("%14.2f", f.p99 / figs.front().p99);
  std::printf("\n%-28s", "merge/review/new");
  for (auto& f : figs) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%d/%d/%d", f.merged, f.reviewed, f.fresh);
    std::printf("%14s", buf);
  }
  std::printf("\n%-28s", "over-common keys skipped");
  for (auto& f : figs) std::printf("%14zu", f.over_common);
  std::printf("\n(baseline = the smallest store, same run)\n");
  return 0;
}
