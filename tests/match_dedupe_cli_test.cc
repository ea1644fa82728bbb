// `canonctl dedupe` end to end: a literal CSV in, record_id,cluster_id,match_weight out, with the project rules.
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

}  // namespace

TEST_CASE("canonctl dedupe clusters a CSV and explains merges", "[match][dedupe]") {
  namespace fs = std::filesystem;
  const fs::path tmp = fs::temp_directory_path() / ("canon-match-dedupe-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::string in = (tmp / "in.csv").string(), out = (tmp / "out.csv").string();
  {
    std::ofstream f(in);
    f << "id,First Name,Last Name,E-mail,Phone,Org\n"
         "a1,Robert,Smith,bob.smith@acme.test,+1 415 555 0100,Acme Inc\n"
         "a2,Bob,Smith,Bob.Smith@acme.test,(415) 555-0100,ACME\n"
         "b1,Roberta,Smyth,rs@other.test,+1 212 555 0199,Other LLC\n"
         "a3,Rob,Smith,,4155550100,Acme Inc.\n"
         "c1,\"Chen, Wei\",Chen,wei.chen@example.test,,\n";
  }
  const std::string cmd = std::string(CANON_BINARY_DIR) + "/canonctl dedupe " + in + " --out " + out +
                          " --rules " + CANON_SOURCE_DIR + "/rules --id-column id --map Org=company" +
                          " --default-country US --explain 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::istringstream lines(Slurp(out));
  std::string line;
  std::getline(lines, line);
  CHECK(line == "record_id,cluster_id,match_weight,decision,matched_record_id,explanation");
  std::map<std::string, std::string> cluster, decision, explanation;
  while (std::getline(lines, line)) {
    std::vector<std::string> cols;
    std::string cur;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) {
        cols.push_back(cur);
        cur.clear();
      } else cur += c;
    }
    cols.push_back(cur);
    REQUIRE(cols.size() == 6);
    cluster[cols[0]] = cols[1];
    decision[cols[0]] = cols[3];
    explanation[cols[0]] = cols[5];
  }
  REQUIRE(cluster.size() == 5);  // every input row has an output row
  CHECK(cluster["a1"] == "a1");
  CHECK(cluster["a2"] == "a1");
  CHECK(cluster["a3"] == "a1");
  CHECK(cluster["b1"] == "b1");  // similar name, different e-mail, phone and company
  CHECK(cluster["c1"] == "c1");
  CHECK(decision["a2"] == "merge");
  CHECK(explanation["a2"].find("given_name nickname") != std::string::npos);
  CHECK(explanation["a2"].find("email_key exact") != std::string::npos);

  // Usage errors exit 2 and say why.
  CHECK(std::system((std::string(CANON_BINARY_DIR) + "/canonctl dedupe " + in + " 2>/dev/null").c_str()) != 0);
  fs::remove_all(tmp);
}
