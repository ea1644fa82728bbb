// multipart/form-data as browsers send it (RFC 7578 over RFC 2046): parts separated by "--boundary" lines,
// each with headers, a blank line, then the value. Bare LF line ends are tolerated (some scripted senders use
// them). File parts are not kept (a lead is not a file): their name is recorded with "<file omitted>".
#include <algorithm>

#include "connectors/connector.h"

namespace canon {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool HasParam(std::string_view header_value, std::string_view name) {
  // ContentTypeParam returns "" for both absent and empty; a file part with filename="" is still a file part.
  std::string lower = LowerAscii(header_value);
  size_t at = 0;
  std::string want = std::string(name) + "=";
  while ((at = lower.find(want, at)) != std::string::npos) {
    if (at > 0 && (lower[at - 1] == ';' || lower[at - 1] == ' ' || lower[at - 1] == '\t')) return true;
    ++at;
  }
  return false;
}

}  // namespace

Result<std::vector<Record>> ParseMultipart(const SourceConfig& source, const Payload& payload) {
  const std::string boundary = ContentTypeParam(payload.content_type, "boundary");
  if (boundary.empty() || boundary.size() > 200)
    return Status::Invalid("multipart content type without a valid boundary", "content-type");
  const std::string delim = "--" + boundary;
  const std::string charset = ContentTypeParam(payload.content_type, "charset");
  std::string_view body = payload.body;

  // The first delimiter may be the very first line, or follow a preamble after a line end.
  size_t pos;
  if (body.substr(0, delim.size()) == delim) {
    pos = 0;
  } else {
    pos = body.find("\n" + delim);
    if (pos == std::string_view::npos) return Status::Invalid("no multipart boundary in the body", "byte 0");
    ++pos;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<std::string> files;
  int part = 0;
  bool closed = false;
  bool any = false;
  while (true) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") {
      closed = true;
      break;
    }
    // Rest of the delimiter line (transport padding) up to its line end.
    size_t eol = body.find('\n', pos);
    if (eol == std::string_view::npos) break;
    size_t headers_start = eol + 1;
    size_t sep = body.find("\r\n\r\n", headers_start);
    size_t sep_len = 4;
    size_t lf = body.find("\n\n", headers_start);
    if (lf != std::string_view::npos && (sep == std::string_view::npos || lf < sep)) {
      sep = lf;
      sep_len = 2;
    }
    if (headers_start < body.size() && (body[headers_start] == '\n' || body.substr(headers_start, 2) == "\r\n")) {
      sep = headers_start;  // a part with no headers at all
      sep_len = body[headers_start] == '\n' ? 1 : 2;
    }
    if (sep == std::string_view::npos)
      return Status::Invalid("multipart part without a header end", "part " + std::to_string(part));
    std::string_view headers = body.substr(headers_start, sep - headers_start);
    size_t value_start = sep + sep_len;
    // The value ends at the line end before the next delimiter.
    size_t next = body.find("\n" + delim, value_start);
    if (next == std::string_view::npos)
      return Status::Invalid("multipart body not terminated by its boundary", "part " + std::to_string(part));
    size_t value_end = next;
    if (value_end > value_start && body[value_end - 1] == '\r') --value_end;
    std::string_view value = body.substr(value_start, value_end - value_start);

    std::string disposition, part_type;
    size_t h = 0;
    while (h < headers.size()) {
      size_t e = headers.find('\n', h);
      if (e == std::string_view::npos) e = headers.size();
      std::string_view line = headers.substr(h, e - h);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string name = LowerAscii(line.substr(0, colon));
        std::string_view v = line.substr(colon + 1);
        if (name == "content-disposition") disposition = std::string(v);
        if (name == "content-type") part_type = std::string(v);
      }
      h = e + 1;
    }
    std::string name = ContentTypeParam(disposition, "name");
    if (name.empty()) return Status::Invalid("multipart part without a name", "part " + std::to_string(part));
    std::string part_charset = ContentTypeParam(part_type, "charset");
    auto key = ToUtf8(name, charset);
    if (!key.ok()) return key.status();
    if (HasParam(disposition, "filename")) {
      files.push_back(std::move(*key));
    } else {
      auto text = ToUtf8(value, part_charset.empty() ? charset : part_charset);
      if (!text.ok()) return text.status();
      pairs.emplace_back(std::move(*key), std::move(*text));
    }
    any = true;
    ++part;
    pos = next + 1;
  }
  if (!closed) return Status::Invalid("multipart body not terminated by its boundary", "part " + std::to_string(part));
  if (!any) return Status::Invalid("empty multipart body");
  auto rec = RecordFromPairs(source, pairs);
  if (!rec.ok()) return rec.status();
  for (auto& name : files) rec->extra[name] = "<file omitted>";
  rec->delivery_key = DeliveryKey(source, payload);
  CaptureAttribution(&*rec);
  std::vector<Record> out;
  out.push_back(std::move(*rec));
  return out;
}

}  // namespace canon
