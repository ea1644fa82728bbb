// MaskPii (hygiene/pii_mask.h): the free-text net under log lines, error bodies and dead-letter reasons.
#include <catch2/catch.hpp>

#include "hygiene/pii_mask.h"

using canon::MaskPii;

TEST_CASE("MaskPii masks e-mail addresses", "[log][pii]") {
  CHECK(MaskPii("duplicate of ann.smith+crm@example.co.uk here") == "duplicate of [email] here");
  CHECK(MaskPii("Key (email)=(Vera.Pii@Example.ORG) already exists") == "Key (email)=([email]) already exists");
  CHECK(MaskPii("\"email\":\"x@y.com\"") == "\"email\":\"[email]\"");
  CHECK(MaskPii("email=x@y.com&name=a") == "email=[email]&name=a");
  CHECK(MaskPii("mail ann@x.com.") == "mail [email].");
  CHECK(MaskPii("José.Ó@bücher.de, b@c.d") == "[email], [email]");
  CHECK(MaskPii("ann@ and @example.com") == "[email] and [email]");
  CHECK(MaskPii("0123456789@x.com") == "[email]");
  // What carries no address stays.
  CHECK(MaskPii("the part before '@' is empty") == "the part before '@' is empty");
  CHECK(MaskPii("a @ b") == "a @ b");
  CHECK(MaskPii("") == "");
}

TEST_CASE("MaskPii masks phone-like digit runs", "[log][pii]") {
  CHECK(MaskPii("call +44 20 7946 0958 now") == "call [phone] now");
  CHECK(MaskPii("+442079460958") == "[phone]");
  CHECK(MaskPii("(212) 555-0187") == "[phone]");
  CHECK(MaskPii("tel 020-7946-0958.") == "tel [phone].");
  CHECK(MaskPii("212.555.0187") == "[phone]");
  CHECK(MaskPii("phone=2125550187;") == "phone=[phone];");
  CHECK(MaskPii("07946095800") == "[phone]");
  CHECK(MaskPii("447700900461") == "[phone]");
  CHECK(MaskPii("612 34 56 78") == "[phone]");
  CHECK(MaskPii("Failing row contains (17, +33 6 12 34 56 78, x)") == "Failing row contains (17, [phone], x)");
  CHECK(MaskPii("(call +1 650 555 0142)") == "(call [phone])");
  CHECK(MaskPii("id 650 555 0142") == "id [phone]");  // separated: a phone even after "id"
}

TEST_CASE("MaskPii leaves ids, counts, dates, addresses and hex alone", "[log][pii]") {
  for (const char* keep : {"inbox 123456789 (source website): 3 record(s)", "import a.csv: 1200 rows (3 refused)",
                           "2026-12-03T11:58:47.123456Z", "2026/12/03", "listening on 10.120.130.140:8080",
                           "took 1234.5678 ms", "request 3f9a2125550187bc9e0d1a2b3c4d5e6f", "v1234567890",
                           "sqlstate 23505", "leadgen_id abc_2125550187", "0.5 0.25", "leadgen_id 123123123123",
                           "(at leadgen_id 123123123123)", "inbox id=1234567890"}) {
    CHECK(MaskPii(keep) == keep);
  }
}
