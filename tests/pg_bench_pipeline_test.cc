// bench/pipeline on a tiny workload, so the bench does not rot between the runs that measure with it: it starts
// canond, posts web forms, waits for every record to be written, checks every status (COPY's too) and prints its
// lines. The figures themselves are not checked: a test never fails on time.
#include <catch2/catch.hpp>
#include <string>

#include "tests/process.h"
#include "tests/support.h"

using namespace canon::test;

TEST_CASE("bench_pipeline writes every posted record and prints its figures", "[pg]") {
  TestDb db;
  CommandRun run = RunCommand(BinaryDir() + "/bench_pipeline --db '" + db.conninfo() +
                              "' --people 300 --prefill 300 --connections 8 --timeout 60");
  INFO(run.out);
  REQUIRE(run.code == 0);
  size_t second = run.out.find("case: store holding 300 records");
  REQUIRE(second != std::string::npos);
  CHECK(run.out.find("prefill: 300 rows", second) != std::string::npos);
  // Each case: every record written, intake and COPY measured beside it, nothing failed, and the server time per
  // statement when the cluster loads pg_stat_statements, else the line that says it does not.
  for (const std::string& part : {run.out.substr(0, second), run.out.substr(second)}) {
    for (const char* line : {"end to end: 300 records", "intake:     300 accepted", "COPY:       300 rows",
                             "0 failed, 0 dead letters"})
      CHECK(part.find(line) != std::string::npos);
    CHECK((part.find("sum of") != std::string::npos || part.find("is not loaded") != std::string::npos));
  }
  // The write floor: the run's rows (found by the bench, which fails unless it finds one source record per record
  // written) into empty tables, and with 300 stored into tables already holding the store's other rows (the 300
  // prefilled source records and their members, contacts, keys and term counts).
  CHECK(run.out.substr(0, second).find("write floor: the run's rows written again by INSERT … SELECT into tables of "
                                       "the same indexes (empty)") != std::string::npos);
  CHECK(run.out.substr(second).find("write floor: the run's rows written again by INSERT … SELECT into tables of the "
                                    "same indexes already holding the store's other ") != std::string::npos);
}

TEST_CASE("bench_pipeline --nodes 2 writes every record through two canond processes", "[pg]") {
  TestDb db;
  CommandRun run = RunCommand(BinaryDir() + "/bench_pipeline --db '" + db.conninfo() +
                              "' --people 300 --cases empty --nodes 2 --connections 8 --timeout 60");
  INFO(run.out);
  REQUIRE(run.code == 0);
  CHECK(run.out.find("to 2 canond nodes") != std::string::npos);
  // The bench itself fails unless every POST got its 202, every inbox row is done and there is one source record
  // per accepted POST; these lines say it ran to the end.
  CHECK(run.out.find("end to end: 300 records") != std::string::npos);
  CHECK(run.out.find("2 nodes together") != std::string::npos);
  CHECK(run.out.find("cores busy from first POST") != std::string::npos);
}
