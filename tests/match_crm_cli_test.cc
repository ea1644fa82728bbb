// `canonctl dedupe --explain` on the CRM cases of issue 14: shared contact points stay apart and the explanation
// names them; swapped names, a 00-prefixed phone and one person's work and personal e-mail join.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> SplitCsvLine(const std::string& line) {
  std::vector<std::string> cols;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '"') {
      if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else {
        quoted = !quoted;
      }
    } else if (c == ',' && !quoted) {
      cols.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  cols.push_back(cur);
  return cols;
}

}  // namespace

TEST_CASE("canonctl dedupe --explain on CRM cases: shared contact points named, true duplicates joined",
          "[match][dedupe][crm]") {
  namespace fs = std::filesystem;
  const fs::path tmp = fs::temp_directory_path() / ("canon-crm-dedupe-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string in = (tmp / "in.csv").string(), out = (tmp / "out.csv").string();
  {
    std::ofstream f(in);
    f << "id,first_name,last_name,email,phone,company,city,postal_code,street,country\n"
         // colleagues on one switchboard
         "col1,Anna,Schmidt,anna.schmidt@acme-logistik.de,+49 30 901820,Acme Logistik GmbH,Berlin,,,DE\n"
         "col2,Jonas,Weber,j.weber@acme-logistik.de,030 901820,ACME Logistik,Berlin,,,DE\n"
         // relatives on one household phone and address
         "rel1,Helen,Carter,,+44 20 7946 0958,,London,NW1 6XE,12 Baker Street,GB\n"
         "rel2,James,Carter,jcarter88@gmail.com,020 7946 0958,,London,NW1 6XE,12 Baker Street,GB\n"
         // a shared role mailbox
         "role1,Lena,Fischer,info@baeckerei-fischer.de,,,,,,\n"
         "role2,Paul,Klein,info@baeckerei-fischer.de,,,,,,\n"
         // swapped names, 00-prefixed phone
         "swap1,Thomas,Schröder,,+49 89 2180 3456,,,,,DE\n"
         "swap2,Schroeder,Thomas,,0049 89 2180 3456,,,,,Germany\n"
         // one person, work and personal e-mail, one company
         "mail1,Sofia,Lindqvist,slindqvist@brightlane.io,,Brightlane AB,,,,SE\n"
         "mail2,Sofia,Lindqvist,sofia.lindqvist84@gmail.com,,Brightlane,,,,Sverige\n";
  }
  const std::string cmd = std::string(CANON_BINARY_DIR) + "/canonctl dedupe " + in + " --out " + out +
                          " --rules " + CANON_SOURCE_DIR + "/rules --id-column id --explain 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::istringstream lines(Slurp(out));
  std::string line;
  std::getline(lines, line);
  REQUIRE(line == "record_id,cluster_id,match_weight,decision,matched_record_id,explanation");
  std::map<std::string, std::string> cluster, decision, matched, explanation;
  while (std::getline(lines, line)) {
    auto cols = SplitCsvLine(line);
    REQUIRE(cols.size() == 6);
    cluster[cols[0]] = cols[1];
    decision[cols[0]] = cols[3];
    matched[cols[0]] = cols[4];
    explanation[cols[0]] = cols[5];
  }
  fs::remove_all(tmp);

  // Apart, and the best candidate's explanation says the contact point counted as shared, and why.
  CHECK(cluster["col1"] != cluster["col2"]);
  CHECK(matched["col2"] == "col1");
  CHECK(explanation["col2"].find("phone exact +0.00 [shared: given names differ]") != std::string::npos);
  CHECK(cluster["rel1"] != cluster["rel2"]);
  CHECK(explanation["rel2"].find("[shared: given names differ]") != std::string::npos);
  CHECK(cluster["role1"] != cluster["role2"]);
  CHECK(explanation["role2"].find("email_key exact +0.00 [shared: role mailbox]") != std::string::npos);
  for (const char* id : {"col2", "rel2", "role2"}) CHECK(decision[id] == "new");

  // Joined, explained by the level that carried them.
  CHECK(cluster["swap1"] == cluster["swap2"]);
  CHECK(explanation["swap2"].find("given_name swapped") != std::string::npos);
  CHECK(explanation["swap2"].find("phone exact") != std::string::npos);
  CHECK(cluster["mail1"] == cluster["mail2"]);
  CHECK(explanation["mail2"].find("email_key fits the name") != std::string::npos);
  CHECK(explanation["mail2"].find("company_key") != std::string::npos);
}
