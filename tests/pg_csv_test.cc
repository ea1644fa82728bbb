// CSV drop folders end to end: files dropped into a real canond's folder, rows in a real PostgreSQL.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support.h"

using namespace canon;
using namespace canon::test;
namespace fs = std::filesystem;

namespace {

// Points the copied rules' csv source at `folder`.
void WatchFolder(const RulesCopy& rules, const std::string& folder) {
  rules.Replace("sources.toml", "folder = \"var/drop/contacts\"", "folder = \"" + folder + "\"");
}

// Writes under a temporary name and renames in, as the watcher expects of a well-behaved sender.
void Drop(const std::string& folder, const std::string& name, const std::string& bytes) {
  std::string tmp = folder + "/." + name + ".tmp";
  std::ofstream(tmp, std::ios::binary) << bytes;
  fs::rename(tmp, folder + "/" + name);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("a dropped CSV with a bad row in the middle is imported; done/ holds it and a report naming the line",
          "[pg][csv]") {
  TempDir tmp("canon-csv");
  std::string folder = tmp.path + "/drop";
  TestDb db;
  RulesCopy rules;
  WatchFolder(rules, folder);
  Canond d(db, {}, rules.rules());
  // ';'-delimited, a quoted newline, Windows line ends, and an unterminated-quote-free bad row: a stray
  // character after a closing quote on line 4.
  std::string csv =
      "E-mail;First Name;Last Name;Notes\r\n"
      "ann@example.com;Ann;Lee;\"two\r\nlines\"\r\n"
      "\"bob@example.com\"x;Bob;Ray;bad\r\n"
      "cy@example.com;Cy;Young;ok\r\n";
  Drop(folder, "contacts.csv", csv);
  REQUIRE(WaitFile(folder + "/done/contacts.csv"));
  REQUIRE(WaitFile(folder + "/done/contacts.csv.report.csv"));
  CHECK(db.Count("SELECT count(*) FROM source_record WHERE source = 'contacts_csv'") == 2);
  CHECK(db.Count("SELECT count(*) FROM contact") == 2);
  CHECK(db.Scalar("SELECT last_name FROM contact WHERE email = 'cy@example.com'") == "Young");
  std::string report = Slurp(folder + "/done/contacts.csv.report.csv");
  CHECK_THAT(report, Catch::StartsWith("line,reason"));
  CHECK_THAT(report, Catch::Contains("\r\n4,"));  // the bad row starts on physical line 4
  CHECK(db.Scalar("SELECT status FROM csv_import") == "done");
  auto imports = HttpRequest(d.port(), "GET", "/admin/imports");
  CHECK(imports.status == 200);
  CHECK_THAT(imports.body, Catch::Contains("\"rows_ok\": 2") && Catch::Contains("\"rows_refused\": 1"));
}

TEST_CASE("Windows-1252 and UTF-16 exports are converted; an unreadable file goes to failed/ with its reason",
          "[pg][csv]") {
  TempDir tmp("canon-csv");
  std::string folder = tmp.path + "/drop";
  TestDb db;
  RulesCopy rules;
  WatchFolder(rules, folder);
  Canond d(db, {}, rules.rules());
  // "Müller" and "José" in Windows-1252 bytes.
  Drop(folder, "cp1252.csv", std::string("email,last_name,first_name\nm@example.de,M\xFCller,Jos\xE9\n"));
  REQUIRE(WaitFile(folder + "/done/cp1252.csv"));
  CHECK(db.Scalar("SELECT last_name FROM contact WHERE email = 'm@example.de'") == "M\xC3\xBCller");
  CHECK(db.Scalar("SELECT first_name FROM contact WHERE email = 'm@example.de'") == "Jos\xC3\xA9");
  // UTF-16LE with BOM, tab-delimited, as Excel's "Unicode text" export writes it.
  std::string text = "Email Address\tFirst Name\r\nzoe@example.org\tZo\xC3\xAB\r\n";
  std::string utf16 = "\xFF\xFE";
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (c == 0xC3) {  // ë = U+00EB
      utf16 += '\xEB';
      utf16 += '\0';
      ++i;
      continue;
    }
    utf16 += static_cast<char>(c);
    utf16 += '\0';
  }
  Drop(folder, "excel.txt", utf16);
  REQUIRE(WaitFile(folder + "/done/excel.txt"));
  CHECK(db.Scalar("SELECT first_name FROM contact WHERE email = 'zoe@example.org'") == "Zo\xC3\xAB");
  Drop(folder, "empty.csv", "");
  REQUIRE(WaitFile(folder + "/failed/empty.csv.reason.txt"));
  CHECK(fs::exists(folder + "/failed/empty.csv"));
  CHECK(db.Scalar("SELECT status FROM csv_import WHERE file_name = 'empty.csv'") == "failed");
}

TEST_CASE("kill -9 of canond halfway through a file, then a restart: every row is in the store exactly once",
          "[pg][csv][crash]") {
  TempDir tmp("canon-csv");
  std::string folder = tmp.path + "/drop";
  fs::create_directories(folder);
  RulesCopy copy;
  WatchFolder(copy, folder);
  std::string rules = copy.rules();
  TestDb db;
  const int kRows = 6000;  // 24 batches of 250: the kill lands after the first thousand rows are committed
  // Distinct people with distinct, pronounceable names (syllables from the row number), as a real export has.
  auto syllables = [](int n) {
    static const char* kSyl[] = {"ka", "lo", "mi", "ser", "dan", "vo", "ri", "tesh", "bu", "nel", "gor", "fa"};
    std::string out;
    for (int k = 0; k < 4; ++k, n /= 12) out += kSyl[n % 12];
    out[0] = static_cast<char>(std::toupper(out[0]));
    return out;
  };
  std::string csv = "email,first_name,last_name,phone\n";
  for (int i = 0; i < kRows; ++i)
    csv += "person" + std::to_string(i) + "@example.com," + syllables(i * 7 + 3) + "," + syllables(i) + ",+1415" +
           std::to_string(2000000 + i) + "\n";
  {
    Canond d(db, {}, rules);
    Drop(folder, "big.csv", csv);
    // Wait until the import is part-way, then kill without warning.
    std::string seen;
    for (int i = 0; i < 1200; ++i) {
      seen = db.Scalar("SELECT coalesce(max(rows_ok), 0)::text FROM csv_import");
      if (!seen.empty() && std::stoll(seen) >= 1000) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    REQUIRE(std::stoll(seen) > 0);
    d.Stop(SIGKILL);
  }
  long long before = db.Count("SELECT count(*) FROM source_record");
  INFO("rows written before the kill: " << before);
  CHECK(before < kRows);
  Canond again(db, {}, rules);
  REQUIRE(WaitFile(folder + "/done/big.csv", 300000));
  CHECK(db.Count("SELECT count(*) FROM source_record") == kRows);
  CHECK(db.Count("SELECT count(DISTINCT delivery_key) FROM source_record") == kRows);
  // Every record belongs to exactly one entity (a few neighbours may merge: one-edit e-mails and phones are
  // strong evidence to the matcher, which is its business, not this test's).
  CHECK(db.Count("SELECT count(*) FROM entity_member") == kRows);
  CHECK(db.Scalar("SELECT rows_ok::text FROM csv_import") == std::to_string(kRows));
}

TEST_CASE("two canond nodes on one drop folder: each file is imported by one node, each row stored once",
          "[pg][csv][nodes]") {
  TempDir tmp("canon-csv");
  std::string folder = tmp.path + "/drop";
  fs::create_directories(folder);
  RulesCopy copy;
  WatchFolder(copy, folder);
  TestDb db;
  constexpr int kFiles = 4, kRows = 1500;
  Canond a(db, {}, copy.rules());
  Canond b(db, {}, copy.rules());
  for (int f = 0; f < kFiles; ++f) {
    std::string csv = "email,first_name,last_name\n";
    for (int i = 0; i < kRows; ++i)
      csv += "n" + std::to_string(f) + "-" + std::to_string(i) + "@nodes.test,Ann" + std::to_string(i % 97) +
             ",Node" + std::to_string(f) + "\n";
    Drop(folder, "f" + std::to_string(f) + ".csv", csv);
  }
  for (int f = 0; f < kFiles; ++f) REQUIRE(WaitFile(folder + "/done/f" + std::to_string(f) + ".csv", 120000));
  CHECK(db.Count("SELECT count(*) FROM source_record") == kFiles * kRows);
  CHECK(db.Count("SELECT count(*) FROM csv_import") == kFiles);
  CHECK(db.Count("SELECT count(*) FROM csv_import WHERE status = 'done' AND rows_ok = $1", {std::to_string(kRows)}) ==
        kFiles);
  // Each file was started by exactly one of the two nodes, and no import was interrupted.
  auto started = [](const std::string& log) {
    int n = 0;
    for (size_t p = 0; (p = log.find(" started", p)) != std::string::npos; ++p) ++n;
    return n;
  };
  std::string la = a.Log(), lb = b.Log();
  INFO("node a:\n" << la << "\nnode b:\n" << lb);
  CHECK(started(la) + started(lb) == kFiles);
  CHECK(la.find("interrupted") == std::string::npos);
  CHECK(lb.find("interrupted") == std::string::npos);
}
