#include "store/erase.h"

#include <algorithm>
#include <map>
#include <set>

#include "hygiene/match_model.h"
#include "store/candidates.h"
#include "store/entities.h"
#include "store/review.h"
#include "store/term_counts.h"

namespace canon::store {
namespace {

// Fixed-point rounds of "contacts -> members -> e-mails -> records -> contacts": each round only adds, and a
// person's records are rarely more than a few merges apart.
constexpr int kMaxRounds = 32;
// Digits of a phone looked for in payloads: the national number of most countries without its trunk prefix.
constexpr size_t kPhoneDigits = 9;

// The salted hash the audit and the suppression list keep, computed in SQL so the salt never leaves the database.
const char* kHashSql = "encode(sha256(convert_to((SELECT salt FROM erasure_salt) || %s, 'UTF8')), 'hex')";

std::string HashOf(const std::string& arg) {
  std::string out(kHashSql);
  out.replace(out.find("%s"), 2, arg);
  return out;
}

std::vector<std::string> Vec(const std::set<std::string>& s) { return {s.begin(), s.end()}; }
std::vector<long long> Vec(const std::set<long long>& s) { return {s.begin(), s.end()}; }

// Adds each row's first column to `out`; returns how many were new.
int AddIds(const PgResult& r, std::set<long long>* out) {
  int added = 0;
  for (int i = 0; i < r.rows(); ++i)
    if (!r.IsNull(i, 0) && out->insert(r.Int(i, 0)).second) ++added;
  return added;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Digits(const std::string& s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d += c;
  return d;
}

// The normalized e-mail key and phone (E.164) of what the request typed; the lowered text when the rules refuse it.
void NormalizeRequest(const ErasureRequest& req, const RuleSet& rules, std::set<std::string>* emails,
                      std::set<std::string>* phones) {
  if (!req.email.empty()) {
    emails->insert(Lower(req.email));
    StewardEdit e = PrepareStewardEdit({{"email", req.email}}, rules);
    for (const auto& [k, v] : e.normalized.keys)
      if (k.find("email") != std::string::npos && !v.empty()) emails->insert(Lower(v));
    if (auto it = e.normalized.fields.find("email"); it != e.normalized.fields.end()) emails->insert(Lower(it->second));
  }
  if (!req.phone.empty()) {
    StewardEdit p = PrepareStewardEdit({{"phone", req.phone}}, rules);
    std::string e164;
    for (const auto& [k, v] : p.normalized.keys)
      if (k.find("phone") != std::string::npos && !v.empty()) e164 = v;
    phones->insert(e164.empty() ? "+" + Digits(req.phone) : e164);
  }
}

}  // namespace

Result<ErasureResult> ErasePerson(PgConn& c, const ErasureRequest& req, const RuleSet& rules) {
  if (req.contact_id <= 0 && req.email.empty() && req.phone.empty())
    return Status::Invalid("name the person: a contact id, an e-mail or a phone");
  std::set<std::string> emails, phones;
  NormalizeRequest(req, rules, &emails, &phones);

  Tx tx(c);
  if (Status s = tx.Begin(); !s.ok()) return s;
  std::set<long long> contacts, records;
  if (req.contact_id > 0) {
    auto r = c.Exec("SELECT id FROM contact WHERE id = $1", {std::to_string(req.contact_id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return Status::NotFound("no contact " + std::to_string(req.contact_id));
    contacts.insert(req.contact_id);
  }
  // Phones given by the request find records; the person's other phones are only hashed and looked for in payloads.
  const std::vector<std::string> asked_phones = Vec(phones);
  std::set<std::string> searched_emails;
  for (int round = 0; round < kMaxRounds; ++round) {
    int added = 0;
    std::vector<std::string> new_emails;
    for (const auto& e : emails)
      if (searched_emails.insert(e).second) new_emails.push_back(e);
    if (!new_emails.empty() || round == 0) {
      auto r = c.Exec(
          "SELECT s.id FROM source_record s WHERE EXISTS ("
          " SELECT 1 FROM jsonb_each_text(coalesce(s.normalized -> 'keys', '{}') || coalesce(s.normalized -> 'fields', "
          "'{}')) k WHERE (k.key LIKE '%email%' AND lower(k.value) = ANY($1::text[])) "
          "              OR (k.key LIKE '%phone%' AND k.value = ANY($2::text[]))) "
          "OR EXISTS (SELECT 1 FROM jsonb_each_text(coalesce(s.raw -> 'fields', '{}') || "
          "                                         coalesce(s.raw -> 'extra', '{}')) k "
          "           WHERE lower(k.value) = ANY($1::text[]))",
          {TextArray(new_emails), TextArray(round == 0 ? asked_phones : std::vector<std::string>{})});
      if (!r.ok()) return r.status();
      added += AddIds(*r, &records);
      auto ct = c.Exec("SELECT id FROM contact WHERE lower(email) = ANY($1::text[]) OR phone = ANY($2::text[])",
                       {TextArray(new_emails), TextArray(round == 0 ? asked_phones : std::vector<std::string>{})});
      if (!ct.ok()) return ct.status();
      added += AddIds(*ct, &contacts);
    }
    // Contacts of the records, contacts merged either way, members of the contacts.
    auto m = c.Exec("SELECT contact_id FROM entity_member WHERE source_record_id = ANY($1::bigint[]) "
                    "UNION SELECT id FROM contact WHERE merged_into = ANY($2::bigint[]) "
                    "UNION SELECT merged_into FROM contact WHERE id = ANY($2::bigint[]) AND merged_into IS NOT NULL",
                    {IntArray(Vec(records)), IntArray(Vec(contacts))});
    if (!m.ok()) return m.status();
    added += AddIds(*m, &contacts);
    auto mem = c.Exec("SELECT source_record_id FROM entity_member WHERE contact_id = ANY($1::bigint[])",
                      {IntArray(Vec(contacts))});
    if (!mem.ok()) return mem.status();
    added += AddIds(*mem, &records);
    // Every e-mail and phone the records carry.
    auto ids = c.Exec(
        "SELECT DISTINCT k.key LIKE '%email%', CASE WHEN k.key LIKE '%email%' THEN lower(k.value) ELSE k.value END "
        "FROM source_record s, jsonb_each_text(coalesce(s.normalized -> 'keys', '{}') || "
        "                                      coalesce(s.normalized -> 'fields', '{}')) k "
        "WHERE s.id = ANY($1::bigint[]) AND (k.key LIKE '%email%' OR k.key LIKE '%phone_key%') AND k.value <> ''",
        {IntArray(Vec(records))});
    if (!ids.ok()) return ids.status();
    for (int i = 0; i < ids->rows(); ++i) {
      if (ids->Get(i, 0) == "t") {
        if (emails.insert(ids->Str(i, 1)).second) ++added;
      } else {
        phones.insert(ids->Str(i, 1));
      }
    }
    if (added == 0) break;
  }

  // Serialize with the record writer: it locks the same keys before it reads or joins an entity.
  std::vector<Member> members;
  if (!contacts.empty()) {
    auto lm = LoadMembers(c, Vec(contacts));
    if (!lm.ok()) return lm.status();
    members = std::move(*lm);
  }
  std::vector<std::string> keys;
  std::vector<std::string> fingerprints;
  std::map<std::pair<std::string, std::string>, long long> terms;
  const MatchConfig* mc = rules.match();
  for (const Member& m : members) {
    for (auto& k : StoreKeys(m.normalized, rules)) keys.push_back(std::move(k));
    fingerprints.push_back(m.fingerprint);
    if (mc && mc->model)
      for (auto& fv : TermCountRows(*mc->model, MatchInputFromNormalized(m.normalized, ""))) ++terms[fv];
  }
  if (Status s = LockKeys(c, keys); !s.ok()) return s;
  auto lock = c.Exec("SELECT id FROM contact WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE",
                     {IntArray(Vec(contacts))});
  if (!lock.ok()) return lock.status();

  // Term counts: the shards' sum less the erased records' share, kept in shard 0 (none when nothing is left).
  // Deltas not folded yet are folded first, so the erased records' own counts are in the sum they leave.
  if (!terms.empty()) {
    if (Status s = FoldTermCounts(c); !s.ok()) return s;
    std::vector<std::string> tf, tv;
    std::vector<long long> tn;
    for (const auto& [fv, n] : terms) {
      tf.push_back(fv.first);
      tv.push_back(fv.second);
      tn.push_back(n);
    }
    auto t = c.Exec(
        "WITH d AS (SELECT f, v, n FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(f, v, n)), "
        "old AS (DELETE FROM term_count t USING d WHERE t.field = d.f AND t.value = d.v "
        "        RETURNING t.field, t.value, t.n) "
        "SELECT o.field, o.value, sum(o.n) - min(d.n) FROM old o JOIN d ON d.f = o.field AND d.v = o.value "
        "GROUP BY o.field, o.value HAVING sum(o.n) - min(d.n) > 0",
        {TextArray(tf), TextArray(tv), IntArray(tn)});
    if (!t.ok()) return t.status();
    std::vector<std::string> kf, kv;
    std::vector<long long> kn;
    for (int i = 0; i < t->rows(); ++i) {
      kf.push_back(t->Str(i, 0));
      kv.push_back(t->Str(i, 1));
      kn.push_back(t->Int(i, 2));
    }
    if (!kf.empty()) {
      auto ins = c.Exec("INSERT INTO term_count (field, value, shard, n) "
                        "SELECT f, v, 0, n FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(f, v, n)",
                        {TextArray(kf), TextArray(kv), IntArray(kn)});
      if (!ins.ok()) return ins.status();
    }
  }

  // What payloads and free texts are searched for: e-mails (also form-encoded) and a phone's last digits.
  std::set<std::string> needles, digit_needles;
  for (const auto& e : emails) {
    if (e.find('@') == std::string::npos) continue;
    needles.insert(e);
    std::string enc = e;
    enc.replace(enc.find('@'), 1, "%40");
    needles.insert(enc);
  }
  for (const auto& p : phones) {
    std::string d = Digits(p);
    if (d.size() >= kPhoneDigits) digit_needles.insert(d.substr(d.size() - kPhoneDigits));
  }
  const std::string text_match =
      "(EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE strpos(lower(%t), lower(encode(convert_to(n, 'UTF8'), "
      "'escape'))) > 0) OR EXISTS (SELECT 1 FROM unnest($2::text[]) d "
      "WHERE strpos(regexp_replace(%t, '[^0-9]', '', 'g'), d) > 0))";
  auto match = [&](const std::string& expr) {
    std::string out = text_match;
    for (size_t at; (at = out.find("%t")) != std::string::npos;) out.replace(at, 2, expr);
    return out;
  };
  const Param p_needles = TextArray(Vec(needles)), p_digits = TextArray(Vec(digit_needles));
  const Param p_records = IntArray(Vec(records)), p_contacts = IntArray(Vec(contacts));

  ErasureResult out;
  out.contacts = static_cast<int>(contacts.size());
  out.records = static_cast<int>(records.size());
  // Inbox rows: those the records came from and those that mention the person.
  auto inbox = c.Exec("SELECT id, EXISTS (SELECT 1 FROM source_record o WHERE o.inbox_id = i.id "
                      "                   AND NOT (o.id = ANY($3::bigint[]))) "
                      "FROM inbox i WHERE i.id IN (SELECT inbox_id FROM source_record WHERE id = ANY($3::bigint[])) "
                      "OR " + match("encode(i.body, 'escape') || ' ' || i.headers::text || ' ' || i.query || ' ' || "
                                    "coalesce(i.error, '')"),
                      {p_needles, p_digits, p_records});
  if (!inbox.ok()) return inbox.status();
  std::vector<long long> drop_inbox, empty_inbox;
  for (int i = 0; i < inbox->rows(); ++i)
    (inbox->Get(i, 1) == "t" ? empty_inbox : drop_inbox).push_back(inbox->Int(i, 0));
  std::vector<long long> all_inbox = drop_inbox;
  all_inbox.insert(all_inbox.end(), empty_inbox.begin(), empty_inbox.end());
  out.payloads = static_cast<int>(all_inbox.size());

  const Param p_inbox = IntArray(all_inbox);
  auto dl = c.Exec("WITH d AS (DELETE FROM dead_letter WHERE inbox_id = ANY($3::bigint[]) OR " +
                       match("encode(coalesce(raw, ''::bytea), 'escape') || ' ' || reason || ' ' || location") +
                       " RETURNING 1) SELECT count(*) FROM d",
                   {p_needles, p_digits, p_inbox});
  if (!dl.ok()) return dl.status();
  out.dead_letters = static_cast<int>(dl->Int(0, 0));

  std::vector<Statement> steps = {
      {"DELETE FROM merge_candidate WHERE contact_id = ANY($1::bigint[]) OR other_id = ANY($1::bigint[]) "
       "OR source_record_id = ANY($2::bigint[]) OR other_record_id = ANY($2::bigint[])",
       {p_contacts, p_records}},
      {"DELETE FROM rejected_pair WHERE record_a = ANY($1::bigint[]) OR record_b = ANY($1::bigint[]) "
       "OR fp_a = ANY($2::text[]) OR fp_b = ANY($2::text[])",
       {p_records, TextArray(fingerprints)}},
      {"DELETE FROM quarantine WHERE source_record_id = ANY($1::bigint[])", {p_records}},
      {"DELETE FROM over_common_key WHERE key = ANY($1::text[])", {TextArray(keys)}},
      {"DELETE FROM match_key WHERE contact_id = ANY($1::bigint[])", {p_contacts}},
      {"DELETE FROM csv_import_error WHERE " + match("reason"), {p_needles, p_digits}},
      {"UPDATE merge_event SET detail = '{\"erased\":true}' WHERE contact_id = ANY($3::bigint[]) "
       "OR other_id = ANY($3::bigint[]) OR " + match("detail::text"),
       {p_needles, p_digits, p_contacts}},
      {"DELETE FROM entity_member WHERE source_record_id = ANY($1::bigint[]) OR contact_id = ANY($2::bigint[])",
       {p_records, p_contacts}},
      {"UPDATE contact SET merged_into = NULL WHERE id = ANY($1::bigint[])", {p_contacts}},
      {"DELETE FROM contact WHERE id = ANY($1::bigint[])", {p_contacts}},
      {"DELETE FROM source_record WHERE id = ANY($1::bigint[])", {p_records}},
      {"UPDATE inbox SET body = ''::bytea, headers = '{}', query = '', error = 'erased' WHERE id = ANY($1::bigint[])",
       {IntArray(empty_inbox)}},
      {"DELETE FROM inbox WHERE id = ANY($1::bigint[])", {IntArray(drop_inbox)}},
  };
  for (const Statement& st : steps) {
    auto r = c.Exec(st.sql, st.params);
    if (!r.ok()) return r.status();
  }

  // The audit: hashes only. E-mail hashes are of normalized keys (values with an '@'), phones of E.164.
  std::vector<std::string> email_keys, e164;
  for (const auto& e : emails)
    if (e.find('@') != std::string::npos) email_keys.push_back(e);
  for (const auto& p : phones)
    if (p.size() > 1 && p[0] == '+') e164.push_back(p);
  out.email_hashes = static_cast<int>(email_keys.size());
  out.phone_hashes = static_cast<int>(e164.size());
  auto ev = c.Exec("INSERT INTO erasure_event (actor, email_hashes, phone_hashes, contacts, records, payloads, "
                   "suppressed) VALUES ($1, ARRAY(SELECT " + HashOf("e") + " FROM unnest($2::text[]) e), "
                   "ARRAY(SELECT " + HashOf("p") + " FROM unnest($3::text[]) p), $4, $5, $6, $7) RETURNING id",
                   {req.actor.empty() ? "unknown" : req.actor, TextArray(email_keys), TextArray(e164),
                    std::to_string(out.contacts), std::to_string(out.records), std::to_string(out.payloads),
                    req.suppress ? "true" : "false"});
  if (!ev.ok()) return ev.status();
  out.event_id = ev->Int(0, 0);
  if (req.suppress) {
    auto s = c.Exec("INSERT INTO erasure_suppression (kind, hash) "
                    "SELECT 'email', " + HashOf("e") + " FROM unnest($1::text[]) e UNION "
                    "SELECT 'phone', " + HashOf("p") + " FROM unnest($2::text[]) p ON CONFLICT DO NOTHING",
                    {TextArray(email_keys), TextArray(e164)});
    if (!s.ok()) return s.status();
  }
  if (Status s = tx.Commit(); !s.ok()) return s;
  return out;
}

Result<std::vector<bool>> SuppressedRecords(PgConn& c, const std::vector<const NormalizedRecord*>& records) {
  std::vector<bool> out(records.size(), false);
  std::vector<std::string> kind, value;
  std::vector<long long> index;
  for (size_t i = 0; i < records.size(); ++i)
    for (const auto& [k, v] : records[i]->keys) {
      if (v.empty()) continue;
      bool email = k.find("email") != std::string::npos, phone = k.find("phone") != std::string::npos;
      if (!email && !phone) continue;
      kind.push_back(email ? "email" : "phone");
      value.push_back(email ? Lower(v) : v);
      index.push_back(static_cast<long long>(i));
    }
  if (kind.empty()) return out;
  auto r = c.Exec("SELECT DISTINCT x.i FROM unnest($1::text[], $2::text[], $3::bigint[]) AS x(kind, v, i) "
                  "JOIN erasure_suppression s ON s.kind = x.kind AND s.hash = " + HashOf("x.v"),
                  {TextArray(kind), TextArray(value), IntArray(index)});
  if (!r.ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) out[static_cast<size_t>(r->Int(i, 0))] = true;
  return out;
}

Status EmptyPayloads(PgConn& c, const std::vector<long long>& inbox_ids) {
  if (inbox_ids.empty()) return Status::Ok();
  auto r = c.Exec("UPDATE inbox SET body = ''::bytea, headers = '{}', query = '' "
                  "WHERE id = ANY($1::bigint[])",
                  {IntArray(inbox_ids)});
  return r.ok() ? Status::Ok() : r.status();
}

std::string ErasureResultJson(const ErasureResult& r) {
  return "{\"erasure_event\":" + std::to_string(r.event_id) + ",\"contacts\":" + std::to_string(r.contacts) +
         ",\"records\":" + std::to_string(r.records) + ",\"payloads\":" + std::to_string(r.payloads) +
         ",\"dead_letters\":" + std::to_string(r.dead_letters) + ",\"email_hashes\":" +
         std::to_string(r.email_hashes) + ",\"phone_hashes\":" + std::to_string(r.phone_hashes) + "}";
}

}  // namespace canon::store
