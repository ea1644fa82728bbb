#include "pipeline/csv_import.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "connectors/csv_reader.h"
#include "hygiene/normalize.h"
#include "store/entities.h"
#include "store/imports.h"
#include "store/term_counts.h"

namespace canon::pipeline {
namespace {

// The message of an attempt that gave way to the batch before it (ImportProgress::batches_gave_way counts them).
constexpr const char* kGaveWay = "gave way to the batch before";

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

CsvEncoding EncodingFromName(const std::string& name) {
  for (CsvEncoding e : {CsvEncoding::kUtf8, CsvEncoding::kUtf16Le, CsvEncoding::kUtf16Be, CsvEncoding::kWindows1252})
    if (name == CsvEncodingName(e)) return e;
  return CsvEncoding::kUtf8;
}

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<std::string> FileSha256(const std::string& path) {
  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return Status::Invalid("cannot open file", path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 16);
  for (;;) {
    ssize_t n = read(f.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Invalid("cannot read file", path);
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<size_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  std::string hex;
  char b[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(b, sizeof b, "%02x", md[i]);
    hex += b;
  }
  return hex;
}

Result<ImportResult> ImportCsvFile(store::PgConn& conn, const std::string& source_name, const std::string& path,
                                   const ImportOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<const RuleSet> rules = options.rules();
  const SourceConfig* source = rules->FindSource(source_name);
  if (!source || source->kind != "csv") return Status::NotFound("no CSV source named '" + source_name + "'");
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return Status::NotFound("no such file: " + path);
  auto hash = FileSha256(path);
  if (!hash.ok()) return hash.status();
  std::string file_name = std::filesystem::path(path).filename().string();
  auto state = store::BeginImport(conn, source_name, file_name, *hash, st.st_size);
  if (!state.ok()) return state.status();

  ImportResult result;
  result.import_id = state->id;
  result.progress.import_id = state->id;
  result.progress.bytes_total = st.st_size;
  result.progress.rows_ok = state->rows_ok;
  result.progress.rows_refused = state->rows_refused;
  result.progress.bytes_start = result.progress.bytes_done = static_cast<uint64_t>(state->next_offset);
  result.progress.rows_ok_start = state->rows_ok;
  result.progress.rows_refused_start = state->rows_refused;
  if (state->status != "running") {
    result.status = "duplicate";
    return result;
  }
  std::string file_id = hash->substr(0, 16);

  Fd f{open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return Status::Invalid("cannot open file", path);
  FdByteSource bytes(f.fd);
  CsvReader reader(&bytes);
  Status started;
  if (state->header.empty()) {
    started = reader.Start();
    if (started.ok()) {
      Status s = store::SaveImportHeader(conn, state->id, reader.header(), std::string(1, reader.delimiter()),
                                         CsvEncodingName(reader.encoding()));
      if (!s.ok()) return s;
    }
  } else {
    if (lseek(f.fd, state->next_offset, SEEK_SET) < 0) return Status::Internal("cannot seek in " + path);
    CsvResume resume;
    resume.offset = state->next_offset;
    resume.line = state->next_line;
    resume.header = state->header;
    resume.delimiter = state->delimiter.empty() ? ',' : state->delimiter[0];
    resume.encoding = EncodingFromName(state->encoding);
    started = reader.Resume(resume);
  }
  if (!started.ok()) {
    // The file cannot be read at all (empty, no header, bad bytes): the import fails with the reason.
    store::FinishImport(conn, state->id, "failed", started.ToString());
    result.status = "failed";
    result.error = started.ToString();
    return result;
  }
  std::vector<std::string> columns = MapCsvHeader(*source, reader.header());

  // One batch of rows read and normalized (pure work, no store access), with the resume point after it.
  struct Batch {
    std::shared_ptr<const RuleSet> rules;
    Status failed;       // the source left the rules
    Status read_status;  // the reader's status after this batch
    std::vector<Record> records;
    std::vector<NormalizedRecord> normalized;
    std::vector<store::WritePrep> preps;
    std::vector<std::pair<long long, std::string>> errors;
    // Its rows' keys (their hashes: a collision only writes a row later), for the batches after it (which rows of
    // theirs to write first).
    std::shared_ptr<const std::unordered_set<long long>> key_set;
    uint64_t next_offset = 0;
    int64_t next_line = 0;
    bool more = true;
  };
  int64_t start_line = state->next_line;
  auto read_batch = [&](std::shared_ptr<const RuleSet> batch_rules, uint64_t offset, int64_t line) {
    Batch b;
    b.rules = std::move(batch_rules);
    b.next_offset = offset;
    b.next_line = line;
    const SourceConfig* src = b.rules->FindSource(source_name);
    if (!src) {
      b.failed = Status(Code::kFailedPrecondition, "source '" + source_name + "' left the rules mid-import");
      return b;
    }
    CsvRow row;
    while (b.records.size() + b.errors.size() < options.batch_rows) {
      if (!reader.Next(&row)) {
        b.more = false;
        break;
      }
      auto rp = reader.resume_point();
      b.next_offset = rp.offset;
      b.next_line = rp.line;
      if (!row.error.ok()) {
        b.errors.emplace_back(row.line, row.error.message());
        continue;
      }
      auto rec = CsvRowToRecord(*src, reader.header(), columns, row, file_id);
      if (!rec.ok()) {
        b.errors.emplace_back(row.line, rec.status().message());
        continue;
      }
      NormalizedRecord n = Normalize(*rec, *b.rules);
      if (!n.accepted()) {
        std::string why;
        for (const auto& r : n.rejected) why += (why.empty() ? "" : "; ") + r.field + ": " + r.reason;
        b.errors.emplace_back(row.line, why);
        continue;
      }
      // The writer's own pure work on the record (JSON, keys, comparison form) is done here too.
      b.preps.push_back(store::PrepareWrite(*rec, n, *b.rules));
      b.records.push_back(std::move(*rec));
      b.normalized.push_back(std::move(n));
    }
    auto key_set = std::make_shared<std::unordered_set<long long>>();
    for (const store::WritePrep& prep : b.preps) key_set->insert(prep.key_hashes.begin(), prep.key_hashes.end());
    b.key_set = std::move(key_set);
    return b;
  };

  // The next batch is read and normalized on a second thread while this one is written: parsing and
  // normalization (CPU here) overlap the store's work (CPU and I/O in PostgreSQL). One reader thread for the whole
  // file (a thread per batch would rebuild its thread-local ICU objects every time); it reads a batch only when
  // asked, so only one thread uses the reader at a time. Rules are taken per batch on this thread, so a reload
  // applies to the rest of a long file.
  struct Handoff {
    std::mutex mu;
    std::condition_variable cv;
    std::shared_ptr<const RuleSet> want;  // set: read the next batch with these rules
    std::optional<Batch> ready;
    bool quit = false;
  } h;
  h.want = options.rules();
  std::thread producer([&] {
    uint64_t offset = reader.offset();
    int64_t line = start_line;
    for (;;) {
      std::shared_ptr<const RuleSet> batch_rules;
      {
        std::unique_lock<std::mutex> lk(h.mu);
        h.cv.wait(lk, [&] { return h.want || h.quit; });
        if (h.quit) return;
        batch_rules = std::move(h.want);
        h.want.reset();
      }
      Batch b = read_batch(std::move(batch_rules), offset, line);
      b.read_status = reader.status();
      offset = b.next_offset;
      line = b.next_line;
      bool last = !b.more || !b.failed.ok() || !b.read_status.ok();
      {
        std::lock_guard<std::mutex> lk(h.mu);
        h.ready = std::move(b);
      }
      h.cv.notify_all();
      if (last) return;
    }
  });
  struct Joiner {
    Handoff& h;
    std::thread& t;
    ~Joiner() {
      {
        std::lock_guard<std::mutex> lk(h.mu);
        h.quit = true;
      }
      h.cv.notify_all();
      t.join();
    }
  } joiner{h, producer};
  // Writers: the caller's connection and, with options.writers > 1, more of the same database. Batch k goes to
  // whichever writer is free; batches commit in file order, so the committed progress is always a prefix of the
  // file (a crash or stop resumes exactly there). A batch first writes the rows that share no blocking key with the
  // batches before it still being written (about 99% of rows), and the others once those have committed. Two rules
  // keep writers from waiting on each other in a cycle:
  //   - a batch takes its key locks only after the batch before it holds its first group's; that group's keys are
  //     none of the earlier batches', so an earlier batch never waits for a later one's keys;
  //   - a batch waits for the one before it to end (before it writes its rows that share a key with it, and before
  //     it saves its progress and commits), and while it waits it asks PostgreSQL every 20 ms whether that batch
  //     waits for a lock of its own, directly or through other sessions (a canond worker between them). The rare
  //     remaining cycle, two batches that join one stored contact by different keys, is so seen within one check,
  //     not after PostgreSQL's deadlock_timeout (1 s, which only a superuser may lower), and one that passes
  //     through a worker is seen at all (PostgreSQL does not see this wait): the later batch gives way. A batch
  //     that has waited ImportOptions::give_way_after (2 s) gives way all the same: a cycle through another
  //     import's writers, which wait in their process too, would be seen by nobody.
  // A batch that gives way, fails on a deadlock PostgreSQL broke (with other sessions), or finds the batch before it
  // rolled back, rolls back, waits for that batch's outcome and is written again; any other failure ends the import
  // (the batches after it roll back).
  std::vector<std::unique_ptr<store::PgConn>> extra;
  for (int i = 1; i < options.writers; ++i) {
    auto more = store::PgConn::Connect(conn.conninfo());
    if (!more.ok()) break;  // fewer writers, same result
    extra.push_back(std::move(*more));
  }
  std::vector<store::PgConn*> writers = {&conn};
  for (auto& e : extra) writers.push_back(e.get());
  const bool ordered = writers.size() > 1;
  enum class Phase { kWaiting, kLocked, kCommitted, kRolledBack, kFailed };
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    long long next_seq = 0;
    long long reported = 0;  // batches whose progress was reported
    std::map<long long, Phase> phase;  // per batch number, while a later batch may ask
    // Per batch number: the attempt under way or last made, and the server process of the writer it is on.
    struct Attempt {
      int n = 0;
      int pid = 0;
    };
    std::map<long long, Attempt> attempt;
    // The keys of the batches taken and not yet committed (nor failed for good), by batch number.
    std::map<long long, std::shared_ptr<const std::unordered_set<long long>>> inflight;
    Status failure;                     // the first failure that ends the import
    bool stopped = false;
    bool done = false;
  } sh;
  auto phase_of = [&](long long seq) {  // under sh.mu
    auto it = sh.phase.find(seq);
    return it == sh.phase.end() ? Phase::kCommitted : it->second;  // forgotten: long committed
  };
  auto set_phase = [&](long long seq, Phase p) {
    {
      std::lock_guard<std::mutex> lk(sh.mu);
      sh.phase[seq] = p;
      if (p == Phase::kCommitted || p == Phase::kFailed) sh.inflight.erase(seq);
      // Keep the last few: only the next batch asks about this one.
      while (sh.phase.size() > 16) sh.phase.erase(sh.phase.begin());
      while (sh.attempt.size() > 16) sh.attempt.erase(sh.attempt.begin());
    }
    sh.cv.notify_all();
  };
  auto fail = [&](Status s) {
    {
      std::lock_guard<std::mutex> lk(sh.mu);
      if (sh.failure.ok()) sh.failure = std::move(s);
    }
    sh.cv.notify_all();
  };
  std::mutex progress_mu;  // result and on_progress, in commit order

  // One batch on one writer. Returns Ok, or a Status with where() "retry" when it must be written again.
  auto write_batch = [&](store::PgConn& c, store::TermFolder& folder, Batch& b, long long seq, int attempt) -> Status {
    const Status retry(Code::kUnavailable, "written again", "retry");
    const Status give_way(Code::kUnavailable, kGaveWay, "retry");
    // PostgreSQL broke a deadlock by rolling this batch back: written again.
    auto or_retry = [&](const Status& s) { return s.where() == "sqlstate 40P01" ? retry : s; };
    store::Tx tx(c);
    if (Status s = options.async_commit && b.more ? tx.BeginAsyncCommit() : tx.Begin(); !s.ok()) return s;
    // The keys of the batches before this one that may still be written (taken, not yet committed).
    std::vector<std::shared_ptr<const std::unordered_set<long long>>> before;
    int prev_seen = 0;  // the attempt of the batch before that this one started beside (0: it had committed)
    if (ordered) {
      {
        std::lock_guard<std::mutex> lk(sh.mu);
        sh.attempt[seq] = {attempt, c.BackendPid()};
      }
      // Keys after the batch before holds its own, or has ended for good (not while it is being written again).
      std::unique_lock<std::mutex> lk(sh.mu);
      sh.cv.wait(lk, [&] {
        const Phase p = seq == 0 ? Phase::kCommitted : phase_of(seq - 1);
        return p == Phase::kLocked || p == Phase::kCommitted || p == Phase::kFailed || !sh.failure.ok();
      });
      if (!sh.failure.ok()) return Status(Code::kFailedPrecondition, "an earlier batch failed");
      if (seq > 0 && phase_of(seq - 1) == Phase::kLocked) prev_seen = sh.attempt[seq - 1].n;
      for (auto it = sh.inflight.begin(); it != sh.inflight.end() && it->first < seq; ++it) before.push_back(it->second);
    }
    // Waits for the batch before this one to end: Ok once the attempt this batch began beside has committed (or
    // it had before); `retry` when it rolled back or is written again (its records then take ids after this
    // batch's, so this one is written again after it). While it is being written, every 20 ms: when it waits for a
    // lock this batch holds (directly or through other sessions), this batch gives way at once (rolls back,
    // releasing it) instead of waiting for it; after options.give_way_after, it gives way whatever the reason.
    auto await_prev = [&]() -> Status {
      if (!ordered || seq == 0) return Status::Ok();
      const auto since = std::chrono::steady_clock::now();
      for (;;) {
        int pid = 0;
        {
          std::unique_lock<std::mutex> lk(sh.mu);
          const bool ended = sh.cv.wait_for(lk, std::chrono::milliseconds(20), [&] {
            return phase_of(seq - 1) != Phase::kLocked || sh.attempt[seq - 1].n != prev_seen || !sh.failure.ok();
          });
          if (!sh.failure.ok()) return Status(Code::kFailedPrecondition, "an earlier batch failed");
          if (ended) {
            const bool same = prev_seen == 0 || sh.attempt[seq - 1].n == prev_seen;
            return phase_of(seq - 1) == Phase::kCommitted && same ? Status::Ok() : retry;
          }
          pid = sh.attempt[seq - 1].pid;
        }
        auto blocked = store::BlocksSession(c, pid);
        if (!blocked.ok()) return or_retry(blocked.status());
        if (*blocked || std::chrono::steady_clock::now() - since >= options.give_way_after) return give_way;
      }
    };
    // The rows sharing no key with those batches (nor, through one another, with a row that does) are written at
    // once, while those batches are written; the rest once they have committed, with their contacts to match. The
    // two groups share no key, so writing them apart decides as writing them together would; the source records
    // take their ids in file order all the same.
    const size_t n = b.records.size();
    std::vector<bool> later(n, false);
    if (!before.empty()) {
      std::unordered_map<long long, std::vector<size_t>> rows_of;
      std::vector<size_t> todo;
      for (size_t i = 0; i < n; ++i)
        for (long long k : b.preps[i].key_hashes) {
          rows_of[k].push_back(i);
          if (later[i]) continue;
          for (const auto& keys : before)
            if (keys->count(k)) {
              later[i] = true;
              todo.push_back(i);
              break;
            }
        }
      while (!todo.empty()) {
        const size_t i = todo.back();
        todo.pop_back();
        for (long long k : b.preps[i].key_hashes)
          for (size_t j : rows_of[k])
            if (!later[j]) {
              later[j] = true;
              todo.push_back(j);
            }
      }
    }
    std::vector<store::WriteItem> now, then;
    std::vector<long long> now_keys, then_keys;  // their hashes: the locks
    for (size_t i = 0; i < n; ++i) {
      auto& items = later[i] ? then : now;
      auto& keys = later[i] ? then_keys : now_keys;
      items.push_back({{0, ""}, &b.records[i], &b.normalized[i], &b.preps[i]});
      keys.insert(keys.end(), b.preps[i].key_hashes.begin(), b.preps[i].key_hashes.end());
    }
    if (ordered && n > 0) {
      // Before this batch says it holds its keys, so the batch after it takes its ids after these: the source
      // records' ids follow the file, as with one writer, whichever batch's INSERT runs first. A batch written again
      // takes new ones once the batch before it has committed.
      auto ids = c.Exec("SELECT nextval('source_record_id_seq') FROM generate_series(1, $1)", {std::to_string(n)});
      if (!ids.ok()) return ids.status();
      for (size_t i = 0, a = 0, z = 0; i < n; ++i) (later[i] ? then[z++] : now[a++]).record_id = ids->Int(i, 0);
    }
    Status locked = store::LockKeyHashes(c, std::move(now_keys));
    set_phase(seq, Phase::kLocked);
    if (!locked.ok()) return or_retry(locked);
    if (options.test_stage) options.test_stage(seq, attempt, 0);
    if (!now.empty()) {
      auto written = store::WriteBatch(c, now, *b.rules);
      if (!written.ok()) return or_retry(written.status());
    }
    if (options.test_stage) options.test_stage(seq, attempt, 1);
    if (!then.empty()) {
      // After the batches before have committed (their keys are free then), which an earlier batch never waits
      // for a later one to do.
      if (Status s = await_prev(); !s.ok()) return s;
      if (Status s = store::LockKeyHashes(c, std::move(then_keys)); !s.ok()) return or_retry(s);
      auto written = store::WriteBatch(c, then, *b.rules);
      if (!written.ok()) return or_retry(written.status());
    }
    if (options.fail_batch && options.fail_batch(seq, attempt)) return retry;  // as if PostgreSQL broke a deadlock
    if (Status s = store::InsertImportErrors(c, state->id, b.errors); !s.ok()) return s;
    if (Status s = await_prev(); !s.ok()) return s;
    if (Status s = store::SaveImportProgress(c, state->id, static_cast<long long>(b.next_offset), b.next_line,
                                             static_cast<long long>(b.records.size()),
                                             static_cast<long long>(b.errors.size()));
        !s.ok())
      return s;
    if (!b.more) {
      if (Status s = store::FinishImport(c, state->id, "done"); !s.ok()) return s;
    }
    if (Status s = tx.Commit(); !s.ok()) return s;
    set_phase(seq, Phase::kCommitted);
    // A fold that fails leaves its deltas for the next one (the import's or a worker's); the last is after the
    // writers have ended.
    (void)folder.AfterBatch(c, !b.records.empty());
    // Reported in commit order (the next batch's writer may get here first).
    {
      std::unique_lock<std::mutex> lk(sh.mu);
      sh.cv.wait(lk, [&] { return sh.reported == seq; });
    }
    std::unique_lock<std::mutex> lk(progress_mu);
    result.progress.bytes_done = b.next_offset;
    result.progress.rows_ok += static_cast<long long>(b.records.size());
    result.progress.rows_refused += static_cast<long long>(b.errors.size());
    result.progress.rows_waited += static_cast<long long>(then.size());
    result.progress.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (options.on_progress) options.on_progress(result.progress);
    lk.unlock();
    {
      std::lock_guard<std::mutex> slk(sh.mu);
      ++sh.reported;
    }
    sh.cv.notify_all();
    return Status::Ok();
  };

  auto run_writer = [&](store::PgConn& c) {
    store::TermFolder folder;
    for (;;) {
      Batch b;
      long long seq = 0;
      {
        std::unique_lock<std::mutex> lk(h.mu);
        h.cv.wait(lk, [&] { return h.ready.has_value() || sh.done; });
        if (!h.ready) return;
        b = std::move(*h.ready);
        h.ready.reset();
        {
          std::lock_guard<std::mutex> slk(sh.mu);
          seq = sh.next_seq++;
          sh.phase[seq] = Phase::kWaiting;
          if (b.key_set) sh.inflight[seq] = b.key_set;
          const bool end = !b.more || !b.failed.ok() || !b.read_status.ok() || !sh.failure.ok() || sh.stopped ||
                           (options.stop && options.stop->load());
          if (end) sh.done = true;
          else h.want = options.rules();  // the next batch is read while this one is written
        }
      }
      h.cv.notify_all();
      // What ends the import at this batch, once the batches before it have ended.
      auto wait_before = [&] {
        std::unique_lock<std::mutex> lk(sh.mu);
        sh.cv.wait(lk, [&] {
          return seq == 0 || phase_of(seq - 1) == Phase::kCommitted || phase_of(seq - 1) == Phase::kFailed ||
                 !sh.failure.ok();
        });
        return sh.failure.ok() && (seq == 0 || phase_of(seq - 1) == Phase::kCommitted);
      };
      if (options.stop && options.stop->load()) {
        {
          std::lock_guard<std::mutex> lk(sh.mu);
          sh.stopped = true;
        }
        set_phase(seq, Phase::kFailed);
        return;
      }
      if (!b.failed.ok()) {
        fail(b.failed);
        set_phase(seq, Phase::kFailed);
        return;
      }
      if (!b.read_status.ok()) {
        if (wait_before()) {
          store::FinishImport(c, state->id, "failed", b.read_status.ToString());
          std::lock_guard<std::mutex> lk(progress_mu);
          result.status = "failed";
          result.error = b.read_status.ToString();
        }
        set_phase(seq, Phase::kFailed);
        return;
      }
      for (int attempt = 1;; ++attempt) {
        Status s = write_batch(c, folder, b, seq, attempt);
        if (s.ok()) break;
        const bool again = s.where() == "retry" && attempt < 5;
        set_phase(seq, again ? Phase::kRolledBack : Phase::kFailed);
        if (again) {
          std::lock_guard<std::mutex> lk(progress_mu);
          ++result.progress.batches_retried;
          if (s.message() == kGaveWay) ++result.progress.batches_gave_way;
        }
        if (!again) {
          // A writer's lost connection is the database's trouble, not the file's: the caller tries again.
          fail(c.Healthy() ? s : Status(Code::kUnavailable, "a writer's connection was lost: " + s.ToString()));
          return;
        }
        // Written again once the batch before it has committed (WriteBatch used up the prepared form).
        if (!wait_before()) {
          set_phase(seq, Phase::kFailed);
          return;
        }
        set_phase(seq, Phase::kWaiting);
        for (size_t i = 0; i < b.records.size(); ++i)
          b.preps[i] = store::PrepareWrite(b.records[i], b.normalized[i], *b.rules);
      }
      if (!b.more) return;
    }
  };
  std::vector<std::thread> more_writers;
  for (size_t i = 1; i < writers.size(); ++i) more_writers.emplace_back([&, i] { run_writer(*writers[i]); });
  run_writer(conn);
  {
    std::lock_guard<std::mutex> lk(h.mu);
    std::lock_guard<std::mutex> slk(sh.mu);
    sh.done = true;
  }
  h.cv.notify_all();
  for (auto& t : more_writers) t.join();
  // The last deltas, waiting for a fold another session may be running (the writers' own folds step aside then):
  // an import run on its own (canonctl import) leaves no count behind. A failure leaves them for the next fold.
  if (result.progress.rows_ok > result.progress.rows_ok_start) (void)store::FoldTermCounts(conn);
  if (!sh.failure.ok()) return sh.failure;
  if (!result.status.empty()) return result;  // failed: the file could not be read
  if (sh.stopped) {
    result.status = "stopped";  // the batch in hand was not written: the resume point is the last committed one
    return result;
  }
  result.status = "done";
  result.progress.bytes_done = st.st_size;
  return result;
}

Status WriteImportReport(store::PgConn& conn, long long import_id, const std::string& path) {
  auto errors = store::ImportErrors(conn, import_id);
  if (!errors.ok()) return errors.status();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::Internal("cannot write report " + path);
  out << "line,reason\r\n";
  for (const auto& [line, reason] : *errors) out << line << "," << CsvQuote(reason) << "\r\n";
  out.close();
  if (!out) return Status::Internal("cannot write report " + path);
  return Status::Ok();
}

}  // namespace canon::pipeline
