// The match model of the label-training tests (tests/match_train_test.cc, tests/pg_train_test.cc): a model of
// the tests' own, so their arithmetic does not move when the shipped rules/match.toml is tuned.
// Weights: prior log2(0.01/0.99) = -6.63; names exact +7.64, different -2.32; phone exact +13.05;
// company exact +9.64, different -2.32. So a pair agreeing on both names and nothing else
// is reviewed (8.66), and so is a pair of colleagues: different names, one phone and one company (11.44).
#pragma once

namespace canon::test {

inline const char* kLabelModelToml = R"([model]
lambda = 0.01
upper = 12
lower = 6

[[field]]
name = "given_name"
levels = [
  { name = "exact", kind = "exact", m = 0.8, u = 0.004 },
  { name = "different", kind = "else", m = 0.2, u = 0.996 },
]

[[field]]
name = "family_name"
levels = [
  { name = "exact", kind = "exact", m = 0.8, u = 0.004 },
  { name = "different", kind = "else", m = 0.2, u = 0.996 },
]

[[field]]
name = "email_key"
levels = [
  { name = "exact", kind = "exact", m = 0.9, u = 0.0001 },
  { name = "different", kind = "else", m = 0.1, u = 0.9999 },
]

[[field]]
name = "phone"
levels = [
  { name = "exact", kind = "exact", m = 0.85, u = 0.0001 },
  { name = "different", kind = "else", m = 0.15, u = 0.9999 },
]

[[field]]
name = "company_key"
levels = [
  { name = "exact", kind = "exact", m = 0.8, u = 0.001 },
  { name = "different", kind = "else", m = 0.2, u = 0.999 },
]

[blocking_limits]
max_per_key = 50
max_candidates = 200

[[blocking]]
name = "email"
parts = ["email_key"]

[[blocking]]
name = "phone"
parts = ["phone"]

[[blocking]]
name = "given_family"
parts = ["metaphone:given_name", "metaphone:family_name"]
)";

}  // namespace canon::test
