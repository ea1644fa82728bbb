// HMAC-SHA256 against RFC 4231 (https://www.rfc-editor.org/rfc/rfc4231#section-4), plus the encodings.
#include <catch2/catch.hpp>

#include "connectors/hmac.h"

using namespace canon;

namespace {
std::string Hmac(const std::string& key, const std::string& data) { return HexEncode(HmacSha256(key, data)); }
}  // namespace

TEST_CASE("hmac: RFC 4231 test vectors", "[conn][hmac]") {
  // Test case 1
  CHECK(Hmac(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 2: a key shorter than the output
  CHECK(Hmac("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 3: combined length of key and data above 64 bytes
  CHECK(Hmac(std::string(20, '\xaa'), std::string(50, '\xdd')) ==
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  // Test case 4
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4.push_back(static_cast<char>(i));
  CHECK(Hmac(key4, std::string(50, '\xcd')) == "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Test case 5: truncated to 128 bits
  CHECK(Hmac(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32) == "a3b6167473100ee06e0c796c2955552b");
  // Test case 6: a key larger than the block size
  CHECK(Hmac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Test case 7: key and data larger than the block size
  CHECK(Hmac(std::string(131, '\xaa'),
             "This is a test using a larger than block-size key and a larger than block-size data. The key needs "
             "to be hashed before being used by the HMAC algorithm.") ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("hmac: hex and base64 round trips and refusals", "[conn][hmac]") {
  CHECK(HexEncode("\x01\xab\xff") == "01abff");
  CHECK(*HexDecode("01ABff") == std::string("\x01\xab\xff"));
  CHECK_FALSE(HexDecode("abc").ok());
  CHECK_FALSE(HexDecode("zz").ok());
  // RFC 4648 section 10 vectors
  CHECK(Base64Encode("") == "");
  CHECK(Base64Encode("f") == "Zg==");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK(Base64Encode("foo") == "Zm9v");
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(*Base64Decode("Zm9vYmE=") == "fooba");
  CHECK(*Base64Decode("Zm9vYmE") == "fooba");  // padding optional
  CHECK(*Base64Decode("-_8=") == std::string("\xfb\xff"));  // URL-safe alphabet
  CHECK(*Base64Decode("+/8=") == std::string("\xfb\xff"));
  CHECK_FALSE(Base64Decode("Zm9v!").ok());
  CHECK_FALSE(Base64Decode("Z").ok());
}

TEST_CASE("hmac: constant-time comparison", "[conn][hmac]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abcd"));
  CHECK(ConstantTimeEquals("", ""));
  CHECK(HexEncode(Sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
