// PgConn::ExecPipeline against the real server: results in order, the first error returned, the statements after
// it not run, and the connection usable afterwards, in and out of a transaction.
#include <catch2/catch.hpp>

#include "store/pg.h"
#include "tests/support.h"

using namespace canon;
using namespace canon::test;

TEST_CASE("a pipeline runs its statements in order and returns their results in order", "[pg][pipeline]") {
  TestDb db;
  auto c = db.Connect();
  REQUIRE(c->Exec("CREATE TABLE t (id int PRIMARY KEY, v text)").ok());
  auto r = c->ExecPipeline({{"INSERT INTO t VALUES ($1, $2)", {"1", "one"}},
                            {"INSERT INTO t SELECT id + 1, v || '+' FROM t RETURNING id, v", {}},
                            {"SELECT count(*) FROM t", {}},
                            {"SELECT $1::text", {std::nullopt}}});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 4);
  CHECK((*r)[0].rows() == 0);
  REQUIRE((*r)[1].rows() == 1);
  CHECK((*r)[1].Str(0, 1) == "one+");  // the second statement saw the first one's row
  CHECK((*r)[2].Str(0, 0) == "2");
  CHECK((*r)[3].IsNull(0, 0));
  // Back in normal mode: a plain Exec works.
  CHECK(db.Scalar("SELECT string_agg(v, ',' ORDER BY id) FROM t") == "one,one+");
  auto again = c->Exec("SELECT 42");
  REQUIRE(again.ok());
  CHECK(again->Str(0, 0) == "42");
}

TEST_CASE("a failing statement stops the pipeline with its error; the connection stays usable", "[pg][pipeline]") {
  TestDb db;
  auto c = db.Connect();
  REQUIRE(c->Exec("CREATE TABLE t (id int PRIMARY KEY)").ok());
  SECTION("outside a transaction") {
    auto r = c->ExecPipeline({{"INSERT INTO t VALUES (1)", {}},
                              {"INSERT INTO t VALUES (1)", {}},  // duplicate key
                              {"INSERT INTO t VALUES (3)", {}}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().ToString().find("duplicate key") != std::string::npos);
    // One implicit transaction up to the sync point: the error rolls back the first insert too, and the
    // statement after the error never ran.
    CHECK(db.Scalar("SELECT count(*) FROM t") == "0");
  }
  SECTION("inside a transaction") {
    store::Tx tx(*c);
    REQUIRE(tx.Begin().ok());
    auto r = c->ExecPipeline({{"INSERT INTO t VALUES (1)", {}}, {"SELECT 1/0", {}}, {"INSERT INTO t VALUES (2)", {}}});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().ToString().find("division by zero") != std::string::npos);
  }
  auto after = c->Exec("SELECT count(*) FROM t");
  REQUIRE(after.ok());
  CHECK(after->Str(0, 0) == "0");
  REQUIRE(c->ExecPipeline({{"INSERT INTO t VALUES (7)", {}}, {"SELECT id FROM t", {}}}).ok());
  CHECK(db.Scalar("SELECT count(*) FROM t") == "1");
}

TEST_CASE("prepared statements: a schema change costs one failed call, texts past the cache still run",
          "[pg][pipeline]") {
  TestDb db;
  auto c = db.Connect();
  REQUIRE(c->Exec("CREATE TABLE t (a int)").ok());
  REQUIRE(c->Exec("INSERT INTO t VALUES ($1)", {"1"}).ok());
  auto before = c->Exec("SELECT * FROM t");
  REQUIRE(before.ok());
  CHECK(PQnfields(before->get()) == 1);
  REQUIRE(c->Exec("ALTER TABLE t ADD COLUMN b int DEFAULT 2").ok());
  // The server refuses the stale prepared plan once; the cache drops it and the next call prepares it anew.
  auto stale = c->Exec("SELECT * FROM t");
  if (!stale.ok()) {
    CHECK(stale.status().where() == "sqlstate 0A000");
    stale = c->Exec("SELECT * FROM t");
  }
  REQUIRE(stale.ok());
  CHECK(PQnfields(stale->get()) == 2);
  CHECK(stale->Str(0, 1) == "2");
  // More distinct texts than the cache holds: every one still runs and returns its own value.
  for (int i = 0; i < 300; ++i) {
    auto r = c->Exec("SELECT " + std::to_string(i) + " + $1::int", {"1"});
    REQUIRE(r.ok());
    REQUIRE(r->Int(0, 0) == i + 1);
  }
  // A statement that fails to prepare (a syntax error) gives the server's error, every time.
  for (int i = 0; i < 2; ++i) {
    auto bad = c->Exec("SELEC 1");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().ToString().find("syntax error") != std::string::npos);
  }
}
