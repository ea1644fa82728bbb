// HMAC-SHA256 and the encodings vendors put signatures in (hex for Meta, base64 for Typeform), plus a
// constant-time comparison so a signature check leaks no timing about how many bytes matched.
//
// Pure functions over OpenSSL; thread-safe; no state. Decoding errors are values.
#pragma once

#include <string>
#include <string_view>

#include "hygiene/status.h"

namespace canon {

// Raw 32-byte HMAC-SHA256 of `message` under `key`.
std::string HmacSha256(std::string_view key, std::string_view message);
// Raw 20-byte HMAC-SHA1 (older senders sign with it).
std::string HmacSha1(std::string_view key, std::string_view message);
std::string Sha256(std::string_view data);  // raw 32 bytes

std::string HexEncode(std::string_view bytes);  // lowercase
Result<std::string> HexDecode(std::string_view hex);  // either case; odd length or non-hex is an error
std::string Base64Encode(std::string_view bytes);  // standard alphabet, padded
// Standard or URL-safe alphabet, padding optional, no whitespace.
Result<std::string> Base64Decode(std::string_view text);

// Constant-time equality (CRYPTO_memcmp). Different lengths compare unequal without looking at contents
// (a signature's length is public).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace canon
