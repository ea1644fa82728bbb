// bench_match_quality [FEBRL_DIR] [RULES_DIR] [--rules DIR] [--crm-people N] [--person-people N] [--seed S]
//                     [--write-crm-csv PATH] [--examples N] [--no-timing]
//                     [--labelled PATH --entity-column NAME [--id-column NAME] [--map COLUMN=field[,...]]...]
//
// Pairwise precision, recall and F1 of the offline dedupe pipeline (Normalize -> MatchInput -> Dedupe, the code
// behind `canonctl dedupe`) on the Febrl synthetic person files: dataset1, dataset2 (duplicates within a file)
// and dataset4a+4b (linking: only cross-file pairs are counted). Truth: records with the same N in rec-N-org /
// rec-N-dup-k are one person; rec_id is never shown to the matcher. Reported at the auto-merge threshold and at
// the review threshold (review counted as match), with the time taken. Baseline in the same run: a
// deterministic rule (same soc_sec_id, or same given name + surname + date of birth).
// The Febrl files stay outside the project; a FEBRL_DIR that is missing is an error (exit 2); with no FEBRL_DIR
// only the CRM set runs.
//
// The CRM set (tests/crm_gen.h): CRM-shaped records of --crm-people people (default 20,000) from four doors, with
// hard-negative groups (namesakes, relatives, colleagues, role mailboxes, agencies). Same pipeline and the same
// figures, plus the wrong-merge pairs per hard-negative class (a pair of different people counts under the first
// class of a group both belong to, else "other"), the missed pairs per variation that either record carries, and
// the time Dedupe takes on 50,000 CRM records. Baseline: same e-mail key, or same given + family name + phone.
// --write-crm-csv PATH writes the generated records (record_id, person_id, door, groups, raw fields) for
// `canonctl dedupe --id-column record_id` and `canonctl match train`; --examples N prints N wrong-merge pairs of
// each class at auto-merge (the generated people are synthetic); --no-timing skips the 50,000-record run.
//
// The person set (tests/messy_gen.h PersonGen, --person-people N, default 5,000, about 20,000 records; 0 skips
// it): given name, family name, birth date, city and e-mail with heavy typos, as in Splink's synthetic
// fake_1000/fake_20000. --labelled PATH --entity-column NAME [--id-column NAME] [--map COLUMN=field[,...]]
// [--default-country CC] reads any CSV with a column of true entity ids through `canonctl dedupe`'s reader
// (tools/csv_inputs.cc: header synonyms, then --map; the entity column is never a feature), e.g. Splink's
// fake_1000.csv: --labelled fake_1000.csv --entity-column group --id-column unique_id --map dob=birth_date.
// Both print P/R/F1 at auto-merge and with review counted, then the missed and wrongly merged pairs broken down:
// sharing no blocking key (never compared as a pair) or over-common keys only, the pair's own weight against
// the thresholds, capped as uncorroborated, per-field comparison levels, the weight histogram, the blocking
// rules that did or did not fire; for the person set, per variation. --examples N prints N of each with the
// pair's explanation (a labelled file's rows go to stdout: use it on data you may show).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "connectors/csv_reader.h"
#include "connectors/match_rules.h"
#include "connectors/rule_dir.h"
#include "hygiene/blocking.h"
#include "hygiene/dedupe.h"
#include "hygiene/normalize.h"
#include "tests/crm_gen.h"
#include "tests/messy_gen.h"
#include "tools/csv_inputs.h"

namespace {

using canon::MatchInput;

struct Row {
  std::string truth;  // N of rec-N-...
  int file = 0;       // 0 = first file, 1 = second (linking)
};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool ReadFebrl(const std::string& path, int file, const canon::RuleSet& rules, std::vector<MatchInput>* inputs,
               std::vector<Row>* rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  canon::IstreamByteSource src(in);
  canon::CsvReader reader(&src);
  if (!reader.Start().ok()) return false;
  std::map<std::string, size_t> col;
  for (size_t i = 0; i < reader.header().size(); ++i) col[Trim(reader.header()[i])] = i;
  canon::CsvRow row;
  auto get = [&](const char* name) -> std::string {
    auto it = col.find(name);
    return it == col.end() || it->second >= row.fields.size() ? std::string() : Trim(row.fields[it->second]);
  };
  while (reader.Next(&row)) {
    const std::string id = get("rec_id");
    Row r;
    r.file = file;
    size_t a = id.find('-'), b = id.find('-', a + 1);
    r.truth = id.substr(a + 1, b - a - 1);
    canon::Record rec;
    auto put = [&](const char* field, std::string v) {
      if (!v.empty()) rec.fields[field] = std::move(v);
    };
    put("first_name", get("given_name"));
    put("last_name", get("surname"));
    std::string street = get("street_number");
    std::string addr1 = get("address_1");
    put("street", street.empty() ? addr1 : addr1.empty() ? street : street + " " + addr1);
    put("street_2", get("address_2"));
    put("city", get("suburb"));
    put("postal_code", get("postcode"));
    put("region", get("state"));
    put("country", "AU");  // Febrl's people are Australian; the region vocabulary needs the country to read "vic"
    put("birth_date", get("date_of_birth"));
    put("external_id", get("soc_sec_id"));
    canon::NormalizedRecord norm = canon::Normalize(rec, rules);
    // An opaque id: the matcher must not see rec_id (it names the answer).
    inputs->push_back(canon::MatchInputFromNormalized(norm, std::to_string(inputs->size())));
    rows->push_back(r);
  }
  return reader.status().ok();
}

struct Pr {
  double tp = 0, fp = 0, fn = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : tp / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : tp / (tp + fn); }
  double f1() const {
    double p = precision(), r = recall();
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }
};

// Pairwise counts for a clustering; with `cross_only`, only pairs of records from different files count.
Pr Evaluate(const std::vector<std::string>& cluster, const std::vector<Row>& rows, bool cross_only) {
  std::unordered_map<std::string, std::vector<size_t>> by_cluster, by_truth;
  for (size_t i = 0; i < rows.size(); ++i) {
    by_cluster[cluster[i]].push_back(i);
    by_truth[rows[i].truth].push_back(i);
  }
  auto counts = [&](const std::unordered_map<std::string, std::vector<size_t>>& groups, bool check_truth,
                    double* same_truth) {
    double pairs = 0;
    for (const auto& [k, v] : groups) {
      for (size_t x = 0; x < v.size(); ++x) {
        for (size_t y = x + 1; y < v.size(); ++y) {
          if (cross_only && rows[v[x]].file == rows[v[y]].file) continue;
          ++pairs;
          if (check_truth && rows[v[x]].truth == rows[v[y]].truth) ++*same_truth;
        }
      }
    }
    return pairs;
  };
  Pr pr;
  double tp = 0, dummy = 0;
  double predicted = counts(by_cluster, true, &tp);
  double truth = counts(by_truth, false, &dummy);
  pr.tp = tp;
  pr.fp = predicted - tp;
  pr.fn = truth - tp;
  return pr;
}

// Union-find over exact keys: records that share a non-empty key of one rule are one cluster. A rule's key is
// the values of its fields joined, or empty when any of them is missing.
std::vector<std::string> ExactKeyClusters(const std::vector<MatchInput>& in,
                                          const std::vector<std::vector<canon::MatchField>>& rules) {
  std::vector<size_t> parent(in.size());
  std::iota(parent.begin(), parent.end(), 0);
  std::function<size_t(size_t)> find = [&](size_t x) { return parent[x] == x ? x : parent[x] = find(parent[x]); };
  for (const auto& fields : rules) {
    std::unordered_map<std::string, size_t> first;
    for (size_t i = 0; i < in.size(); ++i) {
      std::string key;
      for (canon::MatchField f : fields) {
        const std::string& v = in[i].Get(f);
        if (v.empty()) {
          key.clear();
          break;
        }
        key += v + "|";
      }
      if (key.empty()) continue;
      auto [it, inserted] = first.emplace(key, i);
      if (!inserted) parent[find(i)] = find(it->second);
    }
  }
  std::vector<std::string> out(in.size());
  for (size_t i = 0; i < in.size(); ++i) out[i] = std::to_string(find(i));
  return out;
}

// Baseline for Febrl: same soc_sec_id, or same given name + surname + date of birth.
std::vector<std::string> Baseline(const std::vector<MatchInput>& in) {
  using F = canon::MatchField;
  return ExactKeyClusters(in, {{F::kExternalId}, {F::kGivenName, F::kFamilyName, F::kDob}});
}

void PrintLine(const char* what, const Pr& pr, double secs) {
  std::printf("  %-34s P %.4f  R %.4f  F1 %.4f  (tp %.0f fp %.0f fn %.0f)  %.3f s\n", what, pr.precision(),
              pr.recall(), pr.f1(), pr.tp, pr.fp, pr.fn, secs);
}

// Dedupe at the auto-merge threshold, or with review counted as match; prints the figures and the time taken.
bool DedupeAndPrint(const canon::MatchRules& match, const std::vector<MatchInput>& inputs, const std::vector<Row>& rows,
                    bool cross, bool review_as_match, std::vector<std::string>* cluster, Pr* pr) {
  canon::DedupeOptions opt;
  opt.merge_at_review = review_as_match;
  auto t1 = std::chrono::steady_clock::now();
  auto out = canon::Dedupe(match.model, match.blocking, inputs, opt);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  if (!out.ok()) {
    std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
    return false;
  }
  for (const auto& r : out->rows) cluster->push_back(r.cluster_id);
  *pr = Evaluate(*cluster, rows, cross);
  char what[96];
  std::snprintf(what, sizeof what, "%s (weight >= %.1f)", review_as_match ? "review counted as match" : "auto-merge",
                review_as_match ? match.model.lower() : match.model.upper());
  PrintLine(what, *pr, secs);
  std::printf("  %-34s %zu comparisons, %zu over-common keys, %zu sent to review\n", "", out->comparisons,
              out->over_common_keys.size(), out->reviews);
  return true;
}

int Run(const std::string& name, const std::vector<std::string>& files, const std::string& dir,
        const canon::RuleSet& rules, const canon::MatchRules& match) {
  std::vector<MatchInput> inputs;
  std::vector<Row> rows;
  auto t0 = std::chrono::steady_clock::now();
  for (size_t f = 0; f < files.size(); ++f) {
    if (!ReadFebrl(dir + "/" + files[f], static_cast<int>(f), rules, &inputs, &rows)) {
      std::fprintf(stderr, "cannot read %s/%s\n", dir.c_str(), files[f].c_str());
      return 2;
    }
  }
  const double read_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool cross = files.size() > 1;
  std::printf("%s: %zu records (read + normalize %.3f s)%s\n", name.c_str(), inputs.size(), read_secs,
              cross ? ", cross-file pairs only" : "");

  auto tb = std::chrono::steady_clock::now();
  auto base = Baseline(inputs);
  double base_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
  PrintLine("baseline (exact id or name+dob)", Evaluate(base, rows, cross), base_secs);

  Pr at_upper;
  for (int review_as_match = 0; review_as_match < 2; ++review_as_match) {
    std::vector<std::string> cluster;
    Pr pr;
    if (!DedupeAndPrint(match, inputs, rows, cross, review_as_match == 1, &cluster, &pr)) return 2;
    if (!review_as_match) at_upper = pr;
  }
  std::printf("  ratio F1(model at auto-merge) / F1(baseline): %.3f\n\n",
              at_upper.f1() / std::max(1e-9, Evaluate(base, rows, cross).f1()));
  return 0;
}

// ---- the CRM set ----

struct CrmSet {
  std::vector<crm_gen::CrmRecord> records;
  std::vector<MatchInput> inputs;
  std::vector<Row> rows;
  size_t refused = 0;  // records the rules refuse as a whole (matched on what remains, as canonctl dedupe does)
  double generate_secs = 0, normalize_secs = 0;
};

CrmSet MakeCrmSet(size_t people, uint64_t seed, const canon::RuleSet& rules, size_t max_records = 0) {
  CrmSet set;
  auto t0 = std::chrono::steady_clock::now();
  crm_gen::CrmOptions o;
  o.people = people;
  o.seed = seed;
  set.records = crm_gen::Generate(o);
  if (max_records && set.records.size() > max_records) set.records.resize(max_records);
  auto t1 = std::chrono::steady_clock::now();
  set.generate_secs = std::chrono::duration<double>(t1 - t0).count();
  set.inputs.reserve(set.records.size());
  for (const auto& r : set.records) {
    canon::NormalizedRecord norm = canon::Normalize(r.record, rules);
    set.refused += norm.accepted() ? 0 : 1;
    set.inputs.push_back(canon::MatchInputFromNormalized(norm, std::to_string(set.inputs.size())));
    Row row;
    row.truth = std::to_string(r.person);
    set.rows.push_back(row);
  }
  set.normalize_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  return set;
}

// Baseline for CRM data: same e-mail key, or same given + family name + phone.
std::vector<std::string> CrmBaseline(const std::vector<MatchInput>& in) {
  using F = canon::MatchField;
  return ExactKeyClusters(in, {{F::kEmailKey}, {F::kGivenName, F::kFamilyName, F::kPhone}});
}

// Wrong-merge pairs (two people in one cluster) per hard-negative class; [kGroupKinds] = other, with the same
// given and family name, [kGroupKinds + 1] = other.
std::string RawRecord(const crm_gen::CrmRecord& r) {
  std::string s = r.record_id + " person " + std::to_string(r.person) + " " + crm_gen::DoorName(r.door) + ":";
  for (const auto& f : crm_gen::RawFields())
    if (r.record.Has(f)) s += " " + f + "=" + r.record.Get(f);
  return s;
}

// With `examples` > 0, prints up to that many wrong-merge pairs per class (synthetic people: no PII).
std::vector<double> WrongMergesByClass(const std::vector<std::string>& cluster, const CrmSet& set, int examples = 0) {
  std::vector<double> out(crm_gen::kGroupKinds + 2, 0);
  std::unordered_map<std::string, std::vector<size_t>> by_cluster;
  for (size_t i = 0; i < cluster.size(); ++i) by_cluster[cluster[i]].push_back(i);
  for (const auto& [k, v] : by_cluster) {
    for (size_t x = 0; x < v.size(); ++x) {
      for (size_t y = x + 1; y < v.size(); ++y) {
        const auto& a = set.records[v[x]];
        const auto& b = set.records[v[y]];
        if (a.person == b.person) continue;
        int cls = -1;
        for (int kind = 0; kind < crm_gen::kGroupKinds && cls < 0; ++kind)
          for (const auto& ga : a.groups)
            if (static_cast<int>(ga.kind) == kind &&
                std::find(b.groups.begin(), b.groups.end(), ga) != b.groups.end())
              cls = kind;
        if (cls < 0) {
          const auto& ia = set.inputs[v[x]];
          const auto& ib = set.inputs[v[y]];
          bool same_name = !ia.Get(canon::MatchField::kFamilyName).empty() &&
                           ia.Get(canon::MatchField::kGivenName) == ib.Get(canon::MatchField::kGivenName) &&
                           ia.Get(canon::MatchField::kFamilyName) == ib.Get(canon::MatchField::kFamilyName);
          cls = same_name ? crm_gen::kGroupKinds : crm_gen::kGroupKinds + 1;
        }
        if (out[static_cast<size_t>(cls)] < examples)
          std::printf("    example wrong merge (%s, cluster of %zu):\n      %s\n      %s\n",
                      cls < crm_gen::kGroupKinds ? crm_gen::GroupKindName(static_cast<crm_gen::GroupKind>(cls))
                      : cls == crm_gen::kGroupKinds ? "other, same name" : "other",
                      v.size(), RawRecord(a).c_str(), RawRecord(b).c_str());
        out[static_cast<size_t>(cls)] += 1;
      }
    }
  }
  return out;
}

// Missed pairs (one person in two clusters), counted once per variation that either record carries, and per
// cause computed on the pair.
struct Missed {
  double total = 0;
  double by_variation[crm_gen::kVariations] = {};
  double work_vs_personal = 0;   // one record shows the work e-mail, the other the personal one
  double no_shared_contact = 0;  // no e-mail key and no phone in common
  double phone_unread = 0;       // a phone given on both, but one did not normalize to E.164
};

Missed MissedPairs(const std::vector<std::string>& cluster, const CrmSet& set) {
  Missed m;
  std::unordered_map<long, std::vector<size_t>> by_person;
  for (size_t i = 0; i < set.records.size(); ++i) by_person[set.records[i].person].push_back(i);
  for (const auto& [p, v] : by_person) {
    for (size_t x = 0; x < v.size(); ++x) {
      for (size_t y = x + 1; y < v.size(); ++y) {
        if (cluster[v[x]] == cluster[v[y]]) continue;
        const auto& a = set.records[v[x]];
        const auto& b = set.records[v[y]];
        m.total += 1;
        for (int k = 0; k < crm_gen::kVariations; ++k)
          if (((a.variations | b.variations) >> k) & 1u) m.by_variation[k] += 1;
        using V = crm_gen::Variation;
        if ((a.Has(V::kWorkEmail) && b.Has(V::kPersonalEmail)) || (a.Has(V::kPersonalEmail) && b.Has(V::kWorkEmail)))
          m.work_vs_personal += 1;
        const auto& ia = set.inputs[v[x]];
        const auto& ib = set.inputs[v[y]];
        auto shared = [&](canon::MatchField f) { return !ia.Get(f).empty() && ia.Get(f) == ib.Get(f); };
        if (!shared(canon::MatchField::kEmailKey) && !shared(canon::MatchField::kPhone)) m.no_shared_contact += 1;
        const auto& pa = ia.Get(canon::MatchField::kPhone);
        const auto& pb = ib.Get(canon::MatchField::kPhone);
        if (!pa.empty() && !pb.empty() && (pa[0] != '+' || pb[0] != '+')) m.phone_unread += 1;
      }
    }
  }
  return m;
}

// What the set holds, to read the figures against: groups and record pairs of different people per
// hard-negative class, and the true pairs whose only evidence is the name (no e-mail key, phone or company key in
// common: a human could not tell them from namesakes without the rest of the person's records).
void PrintCrmShape(const CrmSet& set) {
  std::map<std::pair<int, int>, std::vector<size_t>> members;
  for (size_t i = 0; i < set.records.size(); ++i)
    for (const auto& g : set.records[i].groups) members[{static_cast<int>(g.kind), g.id}].push_back(i);
  size_t groups[crm_gen::kGroupKinds] = {}, pairs[crm_gen::kGroupKinds] = {};
  for (const auto& [key, idx] : members) {
    ++groups[key.first];
    for (size_t x = 0; x < idx.size(); ++x)
      for (size_t y = x + 1; y < idx.size(); ++y)
        pairs[key.first] += set.records[idx[x]].person != set.records[idx[y]].person ? 1 : 0;
  }
  std::printf("  hard-negative groups (record pairs of different people):");
  for (int k = 0; k < crm_gen::kGroupKinds; ++k)
    std::printf(" %s %zu (%zu)", crm_gen::GroupKindName(static_cast<crm_gen::GroupKind>(k)), groups[k], pairs[k]);
  std::printf("\n");
  std::unordered_map<long, std::vector<size_t>> by_person;
  for (size_t i = 0; i < set.records.size(); ++i) by_person[set.records[i].person].push_back(i);
  size_t true_pairs = 0, name_only = 0;
  for (const auto& [p, v] : by_person) {
    for (size_t x = 0; x < v.size(); ++x) {
      for (size_t y = x + 1; y < v.size(); ++y) {
        ++true_pairs;
        const auto& a = set.inputs[v[x]];
        const auto& b = set.inputs[v[y]];
        bool shared = false;
        for (canon::MatchField f : {canon::MatchField::kEmailKey, canon::MatchField::kPhone,
                                    canon::MatchField::kCompanyKey})
          shared |= !a.Get(f).empty() && a.Get(f) == b.Get(f);
        name_only += shared ? 0 : 1;
      }
    }
  }
  std::printf("  true pairs: %zu, of which %zu (%.1f%%) share no e-mail key, phone or company key\n", true_pairs,
              name_only, 100.0 * static_cast<double>(name_only) / static_cast<double>(std::max<size_t>(1, true_pairs)));
}

int RunCrm(size_t people, uint64_t seed, const std::string& csv_path, int examples, const canon::RuleSet& rules,
           const canon::MatchRules& match) {
  CrmSet set = MakeCrmSet(people, seed, rules);
  std::printf("CRM set (tests/crm_gen.h, seed %llu): %zu people, %zu records (generate %.3f s, normalize %.3f s, "
              "%zu refused by the rules and matched on what remains)\n",
              static_cast<unsigned long long>(seed), people, set.records.size(), set.generate_secs,
              set.normalize_secs, set.refused);
  if (!csv_path.empty()) {
    std::ofstream out(csv_path, std::ios::binary | std::ios::trunc);
    crm_gen::WriteCsv(out, set.records);
    out.flush();
    if (!out) {
      std::fprintf(stderr, "bench_match_quality: cannot write %s\n", csv_path.c_str());
      return 2;
    }
    std::printf("  written to %s\n", csv_path.c_str());
  }
  PrintCrmShape(set);

  auto tb = std::chrono::steady_clock::now();
  auto base = CrmBaseline(set.inputs);
  double base_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
  Pr base_pr = Evaluate(base, set.rows, false);
  PrintLine("baseline (e-mail, or name+phone)", base_pr, base_secs);

  std::vector<std::vector<double>> wrong(2);
  std::vector<Missed> missed(2);
  Pr at_upper;
  for (int review_as_match = 0; review_as_match < 2; ++review_as_match) {
    std::vector<std::string> cluster;
    Pr pr;
    if (!DedupeAndPrint(match, set.inputs, set.rows, false, review_as_match == 1, &cluster, &pr)) return 2;
    if (!review_as_match) at_upper = pr;
    wrong[static_cast<size_t>(review_as_match)] =
        WrongMergesByClass(cluster, set, review_as_match ? 0 : examples);
    missed[static_cast<size_t>(review_as_match)] = MissedPairs(cluster, set);
  }
  std::printf("  ratio F1(model at auto-merge) / F1(baseline): %.3f\n", at_upper.f1() / std::max(1e-9, base_pr.f1()));
  std::printf("  wrong-merge pairs per hard-negative class     auto-merge   review counted\n");
  for (int k = 0; k < crm_gen::kGroupKinds + 2; ++k) {
    const char* name = k < crm_gen::kGroupKinds ? crm_gen::GroupKindName(static_cast<crm_gen::GroupKind>(k))
                       : k == crm_gen::kGroupKinds ? "other, same given+family name"
                                                   : "other";
    std::printf("    %-44s %10.0f %16.0f\n", name, wrong[0][static_cast<size_t>(k)], wrong[1][static_cast<size_t>(k)]);
  }
  std::printf("  missed pairs (a pair counts under each variation either record carries)\n");
  std::printf("    %-44s %10.0f %16.0f\n", "all missed pairs", missed[0].total, missed[1].total);
  for (int k = 0; k < crm_gen::kVariations; ++k)
    std::printf("    %-44s %10.0f %16.0f\n", crm_gen::VariationName(static_cast<crm_gen::Variation>(k)),
                missed[0].by_variation[k], missed[1].by_variation[k]);
  std::printf("    %-44s %10.0f %16.0f\n", "work vs personal e-mail (pair)", missed[0].work_vs_personal,
              missed[1].work_vs_personal);
  std::printf("    %-44s %10.0f %16.0f\n", "no e-mail key or phone in common (pair)", missed[0].no_shared_contact,
              missed[1].no_shared_contact);
  std::printf("    %-44s %10.0f %16.0f\n", "a phone on both, one not read as E.164 (pair)", missed[0].phone_unread,
              missed[1].phone_unread);
  std::printf("\n");
  return 0;
}

// `canonctl dedupe` on 50,000 records must take seconds: Dedupe's time on 50,000 CRM records (auto-merge).
int RunCrmTiming(uint64_t seed, const canon::RuleSet& rules, const canon::MatchRules& match) {
  constexpr size_t kRecords = 50000;
  CrmSet set = MakeCrmSet(kRecords * 10 / 19 + 1000, seed + 1, rules, kRecords);  // ~1.95 records per person
  auto t1 = std::chrono::steady_clock::now();
  auto out = canon::Dedupe(match.model, match.blocking, set.inputs, {});
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  if (!out.ok()) {
    std::fprintf(stderr, "%s\n", out.status().ToString().c_str());
    return 2;
  }
  std::printf("CRM timing: Dedupe on %zu records: %.3f s (%zu comparisons, %zu sent to review); normalize %.3f s\n\n",
              set.inputs.size(), secs, out->comparisons, out->reviews, set.normalize_secs);
  return 0;
}

// ---- labelled sets: the person set (tests/messy_gen.h PersonGen) and any labelled CSV (--labelled) ----

struct LabelledSet {
  std::vector<MatchInput> inputs;
  std::vector<Row> rows;              // truth = the entity label
  std::vector<uint32_t> variations;   // per record (person set only: PersonVariation bits), else empty
  std::vector<std::string> raw;       // per record: its raw fields, for --examples
  size_t refused = 0;                 // refused by the rules as a whole (matched on what remains)
};

// Baseline for person data: same e-mail key, or same given + family name + date of birth.
std::vector<std::string> PersonBaseline(const std::vector<MatchInput>& in) {
  using F = canon::MatchField;
  return ExactKeyClusters(in, {{F::kEmailKey}, {F::kGivenName, F::kFamilyName, F::kDob}});
}

LabelledSet MakePersonSet(size_t people, uint64_t seed, const canon::RuleSet& rules) {
  messy::PersonOptions o;
  o.people = people;
  o.seed = seed;
  LabelledSet set;
  for (const auto& p : messy::GeneratePersons(o)) {
    canon::Record rec;
    rec.fields.insert(p.fields.begin(), p.fields.end());
    canon::NormalizedRecord norm = canon::Normalize(rec, rules);
    set.refused += norm.accepted() ? 0 : 1;
    set.inputs.push_back(canon::MatchInputFromNormalized(norm, std::to_string(set.inputs.size())));
    Row row;
    row.truth = std::to_string(p.person);
    set.rows.push_back(row);
    set.variations.push_back(p.variations);
    std::string raw = p.id + " person " + row.truth + ":";
    for (const auto& [k, v] : p.fields) raw += " " + k + "=" + v;
    set.raw.push_back(std::move(raw));
  }
  return set;
}

// The labelled CSV read as `canonctl dedupe` reads its input (tools/csv_inputs.cc: header synonyms, --map,
// normalization), with the entity column as the answer.
canon::Result<LabelledSet> ReadLabelledCsv(const std::string& path, const canon::tools::CsvInputOptions& options,
                                           const canon::RuleSet& rules) {
  auto in = canon::tools::ReadCsvInputs(path, rules, options);
  if (!in.ok()) return in.status();
  LabelledSet set;
  for (size_t i = 0; i < in->inputs.size(); ++i) {
    Row row;
    row.truth = in->labels[i];
    set.rows.push_back(row);
    set.refused += in->refused[i].empty() ? 0 : 1;
    std::string raw = in->inputs[i].id + " entity " + row.truth + ":";
    for (size_t f = 0; f < canon::kMatchFieldCount; ++f)
      if (!in->inputs[i].values[f].empty())
        raw += " " + std::string(canon::MatchFieldName(static_cast<canon::MatchField>(f))) + "=" +
               in->inputs[i].values[f];
    set.raw.push_back(std::move(raw));
    // An opaque id, as for Febrl: the matcher must not see a row id that may name the answer.
    in->inputs[i].id = std::to_string(i);
  }
  set.inputs = std::move(in->inputs);
  return set;
}

// Why true pairs were missed and wrong pairs merged, from the pair itself: whether the two records share a
// blocking key at all (a pair that shares none is never compared, unless each joins one entity through others),
// the pair's own weight against the thresholds, and the comparison level of every field.
struct PairBreakdown {
  double total = 0;
  // [key][band]: key 0 = share no blocking key, 1 = only keys held by more records than their rule's cap (skipped
  // as over-common), 2 = a usable key; band 0 = the pair's own weight >= upper, 1 = in review, 2 = below lower.
  double keys[3][3] = {};
  double capped = 0;           // the pair's weight was cut to uncorroborated_max (no identifier agreed)
  double conflict = 0;         // PersonConflict: given (or family) names differ outright
  std::map<std::string, double> histogram;                            // weight bin -> pairs
  std::map<std::string, std::map<std::string, double>> levels;        // field -> level (or "missing") -> pairs
  std::map<std::string, double> shared_rule;                          // rule -> pairs sharing its key
  std::map<std::string, std::pair<double, double>> rule_failed;       // rule -> (a part missing, parts differ)
  std::vector<double> by_variation = std::vector<double>(messy::kPersonVariations, 0);
};

std::string WeightBin(double w) {
  static const double kEdges[] = {-8, -4, 0, 4, 8, 12, 16};
  if (w < kEdges[0]) return "a) < -8";
  for (size_t i = 1; i < std::size(kEdges); ++i)
    if (w < kEdges[i]) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "%c) [%g, %g)", static_cast<char>('a' + i), kEdges[i - 1], kEdges[i]);
      return buf;
    }
  return "h) >= 16";
}

class PairDiagnosis {
 public:
  PairDiagnosis(const canon::MatchRules& match, const LabelledSet& set) : match_(match), set_(set) {
    const bool use_tf = set.inputs.size() >= canon::kMinTfRecords;
    if (use_tf) tf_ = canon::TermFrequencies::Count(set.inputs, match.model.TfFields());
    for (const auto& in : set.inputs) prepared_.push_back(match.model.Prepare(in, use_tf ? &tf_ : nullptr));
    for (size_t i = 0; i < set.inputs.size(); ++i) {
      keys_.push_back(canon::BlockingKeys(set.inputs[i], match.blocking));
      for (const auto& k : keys_.back()) ++holders_[k];
    }
  }

  // 0 = the pair shares no blocking key, 1 = only over-common ones, 2 = a usable one.
  int KeyRow(size_t a, size_t b) const {
    int row = 0;
    for (const auto& k : keys_[a])
      if (std::find(keys_[b].begin(), keys_[b].end(), k) != keys_[b].end())
        row = std::max(row, holders_.at(k) <= match_.blocking.CapFor(k) ? 2 : 1);
    return row;
  }
  double Weight(size_t a, size_t b) const { return match_.model.Weight(prepared_[a], prepared_[b]); }
  void Levels(size_t a, size_t b, int8_t* out) const { match_.model.Levels(prepared_[a], prepared_[b], out); }

  // Counts the pair; `key_row` >= 0 replaces the pair's own KeyRow (a fragment pair: any of its record pairs).
  void Add(size_t a, size_t b, PairBreakdown* out, int key_row = -1) const {
    out->total += 1;
    std::vector<std::string> shared;
    for (const auto& k : keys_[a])
      if (std::find(keys_[b].begin(), keys_[b].end(), k) != keys_[b].end()) shared.push_back(k);
    for (const auto& k : shared) out->shared_rule[k.substr(0, k.find(':'))] += 1;
    if (key_row < 0) key_row = KeyRow(a, b);
    if (key_row == 0) {
      for (const auto& rule : match_.blocking.rules) {
        bool missing = false;
        for (const auto& part : rule.parts)
          missing |= set_.inputs[a].Get(part.field).empty() || set_.inputs[b].Get(part.field).empty();
        auto& f = out->rule_failed[rule.name];
        (missing ? f.first : f.second) += 1;
      }
    }
    const canon::Explanation e = match_.model.Explain(prepared_[a], prepared_[b]);
    const int band = e.total >= match_.model.upper() ? 0 : e.total >= match_.model.lower() ? 1 : 2;
    out->keys[key_row][band] += 1;
    out->capped += e.capped ? 1 : 0;
    out->conflict += match_.model.PersonConflict(prepared_[a], prepared_[b]) ? 1 : 0;
    out->histogram[WeightBin(e.total)] += 1;
    for (const auto& f : e.fields) {
      if (f.value_a.empty() && f.value_b.empty()) continue;  // on neither side
      out->levels[f.field][f.value_a.empty() || f.value_b.empty() ? "missing on one side" : f.level] += 1;
    }
    if (!set_.variations.empty())
      for (int k = 0; k < messy::kPersonVariations; ++k)
        if (((set_.variations[a] | set_.variations[b]) >> k) & 1u) out->by_variation[static_cast<size_t>(k)] += 1;
  }

  std::string Explain(size_t a, size_t b) const { return match_.model.Explain(prepared_[a], prepared_[b]).ToString(); }

 private:
  const canon::MatchRules& match_;
  const LabelledSet& set_;
  canon::TermFrequencies tf_;
  std::vector<canon::PreparedRecord> prepared_;
  std::vector<std::vector<std::string>> keys_;
  std::unordered_map<std::string, size_t> holders_;
};

void PrintBreakdown(const char* what, const PairBreakdown& b, const canon::MatchModel& model, bool with_variations) {
  auto pct = [&](double x) { return b.total == 0 ? 0.0 : 100.0 * x / b.total; };
  std::printf("  %s: %.0f pairs\n", what, b.total);
  if (b.total == 0) return;
  std::printf("    blocking \\ the pair's own weight       >= upper %-5.1f  review [%.1f, %.1f)  < lower %-5.1f   all\n",
              model.upper(), model.lower(), model.upper(), model.lower());
  static const char* const kKeyRows[] = {"share no blocking key (never compared)", "share only over-common keys",
                                         "share a usable key"};
  for (int k = 0; k < 3; ++k) {
    const double all = b.keys[k][0] + b.keys[k][1] + b.keys[k][2];
    std::printf("    %-40s %6.0f %18.0f %15.0f %7.0f (%.1f%%)\n", kKeyRows[k], b.keys[k][0], b.keys[k][1], b.keys[k][2],
                all, pct(all));
  }
  std::printf("    capped by uncorroborated_max (no identifier agreed)  %6.0f (%.1f%%)\n", b.capped, pct(b.capped));
  std::printf("    person conflict (names differ outright)              %6.0f (%.1f%%)\n", b.conflict, pct(b.conflict));
  std::printf("    pair weight:");
  for (const auto& [bin, n] : b.histogram) std::printf("  %s %.0f", bin.c_str() + 3, n);
  std::printf("\n    blocking rules whose key both share:");
  for (const auto& [rule, n] : b.shared_rule) std::printf("  %s %.0f", rule.c_str(), n);
  if (!b.rule_failed.empty()) {
    std::printf("\n    pairs sharing no key, per rule (a part missing on a side / parts differ):");
    for (const auto& [rule, n] : b.rule_failed) std::printf("  %s %.0f/%.0f", rule.c_str(), n.first, n.second);
  }
  std::printf("\n    comparison level per field (pairs):\n");
  for (const auto& [field, levels] : b.levels) {
    std::printf("      %-12s", field.c_str());
    for (const auto& [level, n] : levels) std::printf("  %s %.0f", level.c_str(), n);
    std::printf("\n");
  }
  if (with_variations) {
    std::printf("    per variation either record carries:");
    for (int k = 0; k < messy::kPersonVariations; ++k)
      std::printf("%s %s %.0f", k ? "," : "", messy::PersonVariationName(static_cast<messy::PersonVariation>(k)),
                  b.by_variation[static_cast<size_t>(k)]);
    std::printf("\n");
  }
}

// How well the model's m and u fit this data: per field and level, the share of true pairs at that level (m as
// seen) and of random pairs of different entities (u as seen), both among pairs where the field is compared,
// beside the model's. Random pairs: 200,000, seeded. A level no pair reached is left out.
void PrintLevelFit(const PairDiagnosis& diag, const LabelledSet& set, const canon::MatchModel& model,
                   const std::unordered_map<std::string, std::vector<size_t>>& by_truth) {
  const auto& fields = model.fields();
  std::vector<std::vector<double>> m(fields.size()), u(fields.size());
  for (size_t k = 0; k < fields.size(); ++k) m[k].assign(fields[k].levels.size(), 0), u[k].assign(fields[k].levels.size(), 0);
  std::vector<int8_t> lv(fields.size());
  for (const auto& [t, v] : by_truth)
    for (size_t x = 0; x < v.size(); ++x)
      for (size_t y = x + 1; y < v.size(); ++y) {
        diag.Levels(v[x], v[y], lv.data());
        for (size_t k = 0; k < fields.size(); ++k)
          if (lv[k] >= 0) m[k][static_cast<size_t>(lv[k])] += 1;
      }
  std::mt19937_64 rng(12345);
  const size_t n = set.inputs.size();
  for (int i = 0; n > 1 && i < 200000; ++i) {
    const size_t a = rng() % n, b = rng() % n;
    if (a == b || set.rows[a].truth == set.rows[b].truth) continue;
    diag.Levels(a, b, lv.data());
    for (size_t k = 0; k < fields.size(); ++k)
      if (lv[k] >= 0) u[k][static_cast<size_t>(lv[k])] += 1;
  }
  std::printf("  level fit: per field and level, m and u of the model / as seen in this set (true pairs; 200,000 "
              "random pairs), and the weights\n");
  for (size_t k = 0; k < fields.size(); ++k) {
    double mt = 0, ut = 0;
    for (double x : m[k]) mt += x;
    for (double x : u[k]) ut += x;
    if (mt == 0) continue;
    std::printf("    %s (compared on %.0f true pairs)\n", fields[k].name.c_str(), mt);
    for (size_t l = 0; l < fields[k].levels.size(); ++l) {
      if (m[k][l] == 0 && u[k][l] == 0) continue;
      const auto& lev = fields[k].levels[l];
      const double ms = m[k][l] / mt, us = ut == 0 ? 0 : u[k][l] / ut;
      char seen[16] = "n/a";
      if (ms > 0 && us > 0) std::snprintf(seen, sizeof seen, "%+6.2f", std::log2(ms / us));
      std::printf("      %-20s m %.4f / %.4f   u %.6f / %.6f   weight %+6.2f / %s\n", lev.name.c_str(), lev.m, ms, lev.u,
                  us, lev.weight, seen);
    }
  }
}

// P/R/F1 at auto-merge and with review counted, then the breakdown of the missed and wrongly merged pairs at
// auto-merge (and the missed ones with review counted). `examples` prints that many of each with their
// explanation (data of a labelled file goes to stdout: run it on data you may show).
int RunLabelled(const std::string& name, const LabelledSet& set, const canon::MatchRules& match, int examples) {
  std::unordered_map<std::string, std::vector<size_t>> by_truth;
  for (size_t i = 0; i < set.rows.size(); ++i) by_truth[set.rows[i].truth].push_back(i);
  double true_pairs = 0;
  for (const auto& [t, v] : by_truth) true_pairs += static_cast<double>(v.size() * (v.size() - 1) / 2);
  std::printf("%s: %zu records, %zu entities, %.0f true pairs (%zu records refused by the rules, matched on what "
              "remains)\n",
              name.c_str(), set.inputs.size(), by_truth.size(), true_pairs, set.refused);
  auto tb = std::chrono::steady_clock::now();
  auto base = PersonBaseline(set.inputs);
  double base_secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - tb).count();
  Pr base_pr = Evaluate(base, set.rows, false);
  PrintLine("baseline (e-mail, or name+dob)", base_pr, base_secs);

  PairDiagnosis diag(match, set);
  PrintLevelFit(diag, set, match.model, by_truth);
  Pr at_upper;
  for (int review_as_match = 0; review_as_match < 2; ++review_as_match) {
    std::vector<std::string> cluster;
    Pr pr;
    if (!DedupeAndPrint(match, set.inputs, set.rows, false, review_as_match == 1, &cluster, &pr)) return 2;
    if (!review_as_match) at_upper = pr;
    PairBreakdown missed, wrong;
    int shown_missed = 0, shown_wrong = 0;
    for (const auto& [t, v] : by_truth)
      for (size_t x = 0; x < v.size(); ++x)
        for (size_t y = x + 1; y < v.size(); ++y) {
          if (cluster[v[x]] == cluster[v[y]]) continue;
          diag.Add(v[x], v[y], &missed);
          if (!review_as_match && shown_missed < examples) {
            ++shown_missed;
            std::printf("    example missed pair:\n      %s\n      %s\n      %s\n", set.raw[v[x]].c_str(),
                        set.raw[v[y]].c_str(), diag.Explain(v[x], v[y]).c_str());
          }
        }
    std::unordered_map<std::string, std::vector<size_t>> by_cluster;
    for (size_t i = 0; i < cluster.size(); ++i) by_cluster[cluster[i]].push_back(i);
    if (!review_as_match)
      for (const auto& [c, v] : by_cluster)
        for (size_t x = 0; x < v.size(); ++x)
          for (size_t y = x + 1; y < v.size(); ++y) {
            if (set.rows[v[x]].truth == set.rows[v[y]].truth) continue;
            diag.Add(v[x], v[y], &wrong);
            if (shown_wrong < examples) {
              ++shown_wrong;
              std::printf("    example wrong merge (cluster of %zu):\n      %s\n      %s\n      %s\n", v.size(),
                          set.raw[v[x]].c_str(), set.raw[v[y]].c_str(), diag.Explain(v[x], v[y]).c_str());
            }
          }
    // An entity split over several clusters: per two of its clusters, the best link between them (the record
    // pair of highest weight; the clusterer scores an entity as its best member), counted as a candidate when any
    // record pair of the two shares a usable key.
    PairBreakdown fragments;
    for (const auto& [t, v] : by_truth) {
      std::map<std::string, std::vector<size_t>> parts;
      for (size_t i : v) parts[cluster[i]].push_back(i);
      for (auto p = parts.begin(); p != parts.end(); ++p)
        for (auto q = std::next(p); q != parts.end(); ++q) {
          double best = -1e300;
          size_t ba = 0, bb = 0;
          int row = 0;
          for (size_t a : p->second)
            for (size_t b : q->second) {
              row = std::max(row, diag.KeyRow(a, b));
              const double w = diag.Weight(a, b);
              if (w > best) best = w, ba = a, bb = b;
            }
          diag.Add(ba, bb, &fragments, row);
        }
    }
    const bool vars = !set.variations.empty();
    PrintBreakdown(review_as_match ? "missed pairs, review counted as match" : "missed pairs at auto-merge", missed,
                   match.model, vars);
    PrintBreakdown(review_as_match ? "split entities, review counted: cluster pairs of one entity, by their best link"
                                   : "split entities at auto-merge: cluster pairs of one entity, by their best link",
                   fragments, match.model, vars);
    if (!review_as_match) PrintBreakdown("wrong-merge pairs at auto-merge", wrong, match.model, vars);
  }
  std::printf("  ratio F1(model at auto-merge) / F1(baseline): %.3f\n\n", at_upper.f1() / std::max(1e-9, base_pr.f1()));
  return 0;
}

// "a=b,c=d" -> pairs; exit 2 on a malformed entry.
void ParseMaps(const std::string& text, std::vector<std::pair<std::string, std::string>>* out) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      std::fprintf(stderr, "bench_match_quality: --map wants COLUMN=field[,COLUMN=field...], got '%s'\n",
                   text.c_str());
      std::exit(2);
    }
    out->emplace_back(item.substr(0, eq), item.substr(eq + 1));
    start = comma + 1;
  }
}

// A non-negative number of an option, or exit 2 with the option named.
uint64_t Number(const std::string& option, const std::string& text) {
  char* end = nullptr;
  unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || text[0] == '-') {
    std::fprintf(stderr, "bench_match_quality: %s wants a number, got '%s'\n", option.c_str(), text.c_str());
    std::exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  std::string rules_dir, csv_path;
  size_t crm_people = 20000, person_people = 5000;
  uint64_t seed = 1;
  std::string labelled;
  canon::tools::CsvInputOptions labelled_opt;
  int examples = 0;
  bool timing = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_match_quality: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--rules") rules_dir = value();
    else if (a == "--crm-people") crm_people = Number(a, value());
    else if (a == "--seed") seed = Number(a, value());
    else if (a == "--write-crm-csv") csv_path = value();
    else if (a == "--examples") examples = static_cast<int>(Number(a, value()));
    else if (a == "--no-timing") timing = false;
    else if (a == "--person-people") person_people = Number(a, value());
    else if (a == "--labelled") labelled = value();
    else if (a == "--entity-column") labelled_opt.label_column = value();
    else if (a == "--id-column") labelled_opt.id_column = value();
    else if (a == "--map") ParseMaps(value(), &labelled_opt.maps);
    else if (a == "--default-country") labelled_opt.default_country = value();
    else if (a.rfind("--", 0) == 0) {
      std::fprintf(stderr,
                   "usage: bench_match_quality [FEBRL_DIR] [RULES_DIR] [--rules DIR] [--crm-people N] "
                   "[--person-people N] [--seed S] [--write-crm-csv PATH] [--examples N] [--no-timing]\n"
                   "                           [--labelled PATH --entity-column NAME [--id-column NAME] "
                   "[--map COLUMN=field[,COLUMN=field...]]... [--default-country CC]]\n");
      return 2;
    } else positional.push_back(a);
  }
  const std::string dir = positional.empty() ? std::string() : positional[0];
  if (rules_dir.empty()) rules_dir = positional.size() > 1 ? positional[1] : "rules";
  if (!std::filesystem::is_directory(rules_dir)) rules_dir = CANON_SOURCE_DIR "/rules";
  if (!labelled.empty() && labelled_opt.label_column.empty()) {
    std::fprintf(stderr, "bench_match_quality: --labelled needs --entity-column (the column of true entity ids)\n");
    return 2;
  }
  if (!dir.empty() && (!std::filesystem::is_directory(dir) || !std::filesystem::exists(dir + "/dataset1.csv"))) {
    std::fprintf(stderr,
                 "bench_match_quality: Febrl data directory '%s' is missing (expected dataset1.csv, dataset2.csv, "
                 "dataset4a.csv, dataset4b.csv there; e.g. ../shared/data/febrl)\n",
                 dir.c_str());
    return 2;
  }
  auto rules = canon::LoadRuleDir(rules_dir);
  if (const std::string notice = canon::SchemaNotice(rules_dir); !notice.empty())
    std::fprintf(stderr, "bench_match_quality: warning: %s\n", notice.c_str());
  if (!rules.ok()) {
    std::fprintf(stderr, "bench_match_quality: %s\n", rules.status().ToString().c_str());
    return 2;
  }
  auto match = canon::LoadMatchRules(rules_dir);
  if (!match.ok()) {
    std::fprintf(stderr, "bench_match_quality: %s\n", match.status().ToString().c_str());
    return 2;
  }
  std::printf("match rules: %s (upper %.2f, lower %.2f)\n\n", match->match_path.c_str(), match->model.upper(),
              match->model.lower());
  int rc = 0;
  if (dir.empty()) {
    std::printf("Febrl: no FEBRL_DIR given, skipped\n\n");
  } else {
    rc = Run("dataset1", {"dataset1.csv"}, dir, **rules, *match);
    if (rc == 0) rc = Run("dataset2", {"dataset2.csv"}, dir, **rules, *match);
    if (rc == 0) rc = Run("dataset4a+4b (linking)", {"dataset4a.csv", "dataset4b.csv"}, dir, **rules, *match);
  }
  if (rc == 0 && !labelled.empty()) {
    auto set = ReadLabelledCsv(labelled, labelled_opt, **rules);
    if (!set.ok()) {
      std::fprintf(stderr, "bench_match_quality: %s\n", set.status().ToString().c_str());
      return 2;
    }
    rc = RunLabelled("labelled " + labelled, *set, *match, examples);
  }
  if (rc == 0 && person_people > 0) {
    char name[96];
    std::snprintf(name, sizeof name, "person set (tests/messy_gen.h PersonGen, seed %llu, %zu people)",
                  static_cast<unsigned long long>(seed), person_people);
    rc = RunLabelled(name, MakePersonSet(person_people, seed, **rules), *match, examples);
  }
  if (rc == 0 && crm_people > 0) rc = RunCrm(crm_people, seed, csv_path, examples, **rules, *match);
  if (rc == 0 && timing) rc = RunCrmTiming(seed, **rules, *match);
  return rc;
}
