// bench/csv_import on tiny files, so the bench does not rot between the runs that measure with it: both imports
// run to the end (the bench exits unless each writes every row), COPY's status is checked, and the big import's
// CPU, server time and write floor are printed. The figures themselves are not checked: a test never fails on time.
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "tests/process.h"
#include "tests/support.h"

using namespace canon::test;

TEST_CASE("bench_csv_import imports both files and prints the big import's CPU and write floor", "[pg]") {
  TestDb db;
  CommandRun run = RunCommand(BinaryDir() + "/bench_csv_import --db '" + db.conninfo() + "' --rows 600 --small 300");
  INFO(run.out);
  REQUIRE(run.code == 0);
  // 300 + 600 rows of 810 people (the generator writes one in ten rows as a second record of someone).
  CHECK(run.out.find("contacts after both imports: 810 (the files hold 810 people and 90 second records") !=
        std::string::npos);
  CHECK(run.out.find("contacts holding two people (two generated addresses in one contact: wrong merges): 0") !=
        std::string::npos);
  CHECK(run.out.find("CPU per row of the 600-row import: ") != std::string::npos);
  CHECK(run.out.find("10,000 rows/s on ") != std::string::npos);
  CHECK((run.out.find("server time per row of the 600-row import: ") != std::string::npos ||
         run.out.find("pg_stat_statements is not loaded") != std::string::npos));
  // The floor's copies first get the small import's rows (its 300 source records among them), and the bench fails
  // unless the big import's rows by xmin hold exactly one source record per row.
  CHECK(run.out.find("write floor: the run's rows written again by INSERT … SELECT into tables of the same indexes "
                     "already holding the store's other ") != std::string::npos);
  CHECK(run.out.find("floor per row without lookups or matching: write floor ") != std::string::npos);
}

TEST_CASE("bench_csv_import --floor 0 leaves the write floor out", "[pg]") {
  TestDb db;
  CommandRun run = RunCommand(BinaryDir() + "/bench_csv_import --db '" + db.conninfo() +
                              "' --rows 200 --small 100 --floor 0");
  INFO(run.out);
  REQUIRE(run.code == 0);
  CHECK(run.out.find("CPU per row of the 200-row import: ") != std::string::npos);
  CHECK(run.out.find("write floor") == std::string::npos);
}

TEST_CASE("scripts/ab-import runs two builds interleaved and prints each run's figures and their medians", "[pg]") {
  // Its own throwaway PostgreSQL, as scripts/bench starts one: the script restarts it before every run. Both builds
  // are this one; the table is read from the bench's output, so a changed line of the bench shows here as a "-".
  const std::string bin = BinaryDir() + "/bench_csv_import";
  CommandRun run = RunCommand(std::string(CANON_SOURCE_DIR) + "/scripts/ab-import -n 1 " + bin + " " + bin +
                              " --rows 300 --small 200 --floor 0");
  INFO(run.out);
  REQUIRE(run.code == 0);
  // One line per run (the warm-up is not one): rows/s, COPY/s, CPU per row (machine, process, PostgreSQL and the
  // rest), server time, then 450 contacts (the files hold 450 people), no wrong merge, and the RSS ratio.
  const std::string figures = R"( +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +450 +0 +[0-9.]+\n)";
  CHECK(std::regex_search(run.out, std::regex("\n1 +A" + figures)));
  CHECK(std::regex_search(run.out, std::regex("\n2 +B" + figures)));
  CHECK(!std::regex_search(run.out, std::regex("\n3 +")));
  CHECK(std::regex_search(run.out, std::regex(R"(\nrows/s +[0-9]+ +[0-9]+ +[0-9.]+\n)")));
  CHECK(std::regex_search(run.out, std::regex(R"(\nprocess +[0-9.]+ +[0-9.]+ +[0-9.]+\n)")));
}
