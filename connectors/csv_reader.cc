#include "connectors/csv_reader.h"

#include <openssl/evp.h>
#include <unicode/ucnv.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>

#include "connectors/connector.h"

namespace canon {
namespace {

// How much of a BOM-less file is looked at to tell UTF-8 from Windows-1252: a 1252 file nearly always shows a
// non-ASCII byte early (names, cities), and 64 KiB keeps the sniff inside the first read.
constexpr size_t kSniffBytes = 64 * 1024;

// Length of the valid UTF-8 sequence at s[i], 0 when invalid, -1 when cut short by the end of `s`.
int Utf8SeqLen(std::string_view s, size_t i) {
  unsigned char c = s[i];
  if (c < 0x80) return 1;
  int len;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;   // no overlongs
    if (c == 0xED) hi = 0x9F;   // no surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;   // <= U+10FFFF
  } else {
    return 0;
  }
  for (int k = 1; k < len; ++k) {
    if (i + k >= s.size()) return -1;
    unsigned char cc = s[i + k];
    if (k == 1 ? (cc < lo || cc > hi) : (cc < 0x80 || cc > 0xBF)) return 0;
  }
  return len;
}

// True when `s` is valid UTF-8; with `allow_cut`, a sequence cut by the end of `s` still counts as valid.
bool ValidUtf8(std::string_view s, bool allow_cut) {
  for (size_t i = 0; i < s.size();) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    int n = Utf8SeqLen(s, i);
    if (n == -1) return allow_cut;
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Windows-1252 byte -> UTF-8, built once from ICU's table (bytes 1252 leaves undefined come out as ICU maps them).
const std::array<std::string, 256>& Cp1252Table() {
  static const std::array<std::string, 256> table = [] {
    std::array<std::string, 256> t;
    UErrorCode err = U_ZERO_ERROR;
    UConverter* cnv = ucnv_open("windows-1252", &err);
    for (int b = 0; b < 256; ++b) {
      if (b < 0x80 || U_FAILURE(err)) {
        if (b < 0x80) t[b] = std::string(1, static_cast<char>(b));
        else AppendUtf8(&t[b], b);  // ICU data missing: Latin-1 is the closest
        continue;
      }
      char in = static_cast<char>(b);
      UChar out[4];
      UErrorCode e = U_ZERO_ERROR;
      int32_t n = ucnv_toUChars(cnv, out, 4, &in, 1, &e);
      if (U_FAILURE(e) || n < 1) AppendUtf8(&t[b], 0xFFFD);
      else AppendUtf8(&t[b], out[0]);
    }
    if (cnv) ucnv_close(cnv);
    return t;
  }();
  return table;
}

std::string FromCp1252(std::string_view s) {
  const auto& table = Cp1252Table();
  std::string out;
  out.reserve(s.size() + s.size() / 4);
  for (unsigned char c : s) {
    if (c < 0x80) out.push_back(static_cast<char>(c));
    else out += table[c];
  }
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::string LineWhere(int64_t line) { return "line " + std::to_string(line); }

}  // namespace

// ----- byte sources -----

Result<size_t> StringByteSource::Read(char* buf, size_t n) {
  size_t k = std::min({n, max_, data_.size() - pos_});
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

Result<size_t> FdByteSource::Read(char* buf, size_t n) {
  for (;;) {
    ssize_t k = ::read(fd_, buf, n);
    if (k >= 0) return static_cast<size_t>(k);
    if (errno == EINTR) continue;
    return Status::Internal(std::string("read failed: ") + std::strerror(errno));
  }
}

Result<size_t> IstreamByteSource::Read(char* buf, size_t n) {
  in_.read(buf, static_cast<std::streamsize>(n));
  if (in_.bad()) return Status::Internal("read failed on input stream");
  return static_cast<size_t>(in_.gcount());
}

const char* CsvEncodingName(CsvEncoding e) {
  switch (e) {
    case CsvEncoding::kUtf8: return "UTF-8";
    case CsvEncoding::kUtf16Le: return "UTF-16LE";
    case CsvEncoding::kUtf16Be: return "UTF-16BE";
    case CsvEncoding::kWindows1252: return "windows-1252";
  }
  return "?";
}

// ----- reader -----

// ICU converter for UTF-16 input plus a lead surrogate waiting for its trail across reads.
struct CsvReader::Converter {
  UConverter* cnv = nullptr;
  UChar pending_lead = 0;
  uint64_t data_start = 0;  // source offset of the first byte given to the converter
  uint64_t units = 0;       // UTF-16 code units the converter has emitted since then
  std::vector<UChar> out;
  ~Converter() {
    if (cnv) ucnv_close(cnv);
  }
};

CsvReader::CsvReader(ByteSource* source, CsvOptions options) : source_(source), options_(options) {
  if (options_.read_size == 0) options_.read_size = 1;
  raw_.resize(options_.read_size);
}

CsvReader::~CsvReader() = default;

Status CsvReader::OpenConverter() {
  if (encoding_ != CsvEncoding::kUtf16Le && encoding_ != CsvEncoding::kUtf16Be) return Status::Ok();
  cnv_ = std::make_unique<Converter>();
  UErrorCode err = U_ZERO_ERROR;
  cnv_->cnv = ucnv_open(encoding_ == CsvEncoding::kUtf16Le ? "UTF-16LE" : "UTF-16BE", &err);
  cnv_->data_start = read_total_;
  if (U_FAILURE(err)) return Status::Internal(std::string("ICU converter: ") + u_errorName(err));
  return Status::Ok();
}

bool CsvReader::Fill() {
  if (eof_) return false;
  // Parsed bytes are dropped before reading more: buf_ never holds more than one read plus the unparsed tail.
  if (pos_ > 0) {
    buf_.erase(0, pos_);
    buf_base_ += pos_;
    pos_ = 0;
  }
  auto n = source_->Read(raw_.data(), raw_.size());
  if (!n.ok()) {
    status_ = n.status();
    eof_ = true;
    return false;
  }
  return Decode(raw_.data(), *n);
}

bool CsvReader::Decode(const char* data, size_t got) {
  bool flush = got == 0;
  if (!cnv_) {
    buf_.append(data, got);
    read_total_ += got;
    if (flush) eof_ = true;
    return got > 0;
  }
  // UTF-16: every code unit is two source bytes, so the k-th unit ends at start + 2k; that is what lets a
  // decoded '\n' name its source offset. (Starts are even: after a 2-byte BOM or at a resume point.)
  size_t before = buf_.size();
  cnv_->out.resize(got / 2 + 4);
  const char* src = data;
  UChar* target = cnv_->out.data();
  UErrorCode err = U_ZERO_ERROR;
  ucnv_toUnicode(cnv_->cnv, &target, cnv_->out.data() + cnv_->out.size(), &src, data + got, nullptr, flush, &err);
  if (U_FAILURE(err)) {
    status_ = Status::Internal(std::string("UTF-16 conversion failed: ") + u_errorName(err));
    eof_ = true;
    return false;
  }
  // ICU may hold bytes back (an odd byte, a lead surrogate waiting for its trail), so positions come from the
  // count of units it has emitted, not from the bytes read: unit k (1-based) ends at data_start + 2k. An
  // unpaired surrogate comes out as one substitute unit, which keeps the count exact.
  for (UChar* u = cnv_->out.data(); u < target; ++u) {
    UChar c = *u;
    const uint64_t unit_end = cnv_->data_start + 2 * ++cnv_->units;
    if (cnv_->pending_lead) {
      UChar lead = cnv_->pending_lead;
      cnv_->pending_lead = 0;
      if (c >= 0xDC00 && c <= 0xDFFF) {
        AppendUtf8(&buf_, 0x10000 + ((lead - 0xD800) << 10) + (c - 0xDC00));
        continue;
      }
      AppendUtf8(&buf_, 0xFFFD);
    }
    if (c >= 0xD800 && c <= 0xDBFF) {
      cnv_->pending_lead = c;
    } else if (c >= 0xDC00 && c <= 0xDFFF) {
      AppendUtf8(&buf_, 0xFFFD);
    } else {
      if (c == '\n') newline_ends_.push_back(unit_end);
      AppendUtf8(&buf_, c);
    }
  }
  read_total_ += got;
  if (flush) {
    if (cnv_->pending_lead) AppendUtf8(&buf_, 0xFFFD);
    cnv_->pending_lead = 0;
    eof_ = true;
    return buf_.size() > before;
  }
  return true;
}

uint64_t CsvReader::NewlineEnd(size_t i) {
  if (!cnv_) return buf_base_ + i + 1;
  if (newline_ends_.empty()) return read_total_;  // cannot happen: every decoded '\n' was queued
  uint64_t v = newline_ends_.front();
  newline_ends_.pop_front();
  return v;
}

std::string CsvReader::FinishField(std::string&& raw) const {
  switch (encoding_) {
    case CsvEncoding::kWindows1252: return FromCp1252(raw);
    case CsvEncoding::kUtf8:
      if (ValidUtf8(raw, false)) return std::move(raw);
      return FromCp1252(raw);
    default: return std::move(raw);
  }
}

Status CsvReader::Detect() {
  // Sniff: enough bytes for a BOM, then up to kSniffBytes to judge UTF-8 validity.
  std::string sniff;
  bool at_end = false;
  while (sniff.size() < kSniffBytes) {
    auto n = source_->Read(raw_.data(), std::min(raw_.size(), kSniffBytes - sniff.size()));
    if (!n.ok()) return n.status();
    if (*n == 0) {
      at_end = true;
      break;
    }
    sniff.append(raw_.data(), *n);
  }
  size_t bom = 0;
  auto starts = [&](std::string_view p) { return sniff.compare(0, p.size(), p) == 0; };
  if (starts("\xEF\xBB\xBF")) {
    encoding_ = CsvEncoding::kUtf8;
    bom = 3;
  } else if (starts("\xFF\xFE")) {
    encoding_ = CsvEncoding::kUtf16Le;
    bom = 2;
  } else if (starts("\xFE\xFF")) {
    encoding_ = CsvEncoding::kUtf16Be;
    bom = 2;
  } else {
    size_t nul = std::count(sniff.begin(), sniff.end(), '\0');
    if (nul * 100 > sniff.size()) {
      return Status::Invalid("binary data, or UTF-16 without a byte order mark: not a CSV file", "byte 0");
    }
    encoding_ = ValidUtf8(sniff, !at_end) ? CsvEncoding::kUtf8 : CsvEncoding::kWindows1252;
  }
  read_total_ = buf_base_ = next_offset_ = bom;
  if (Status s = OpenConverter(); !s.ok()) return s;
  next_line_ = 1;
  // The sniffed bytes go through the same decoding as every later read.
  if (sniff.size() > bom) Decode(sniff.data() + bom, sniff.size() - bom);
  if (at_end) Decode(nullptr, 0);
  return status_;
}

bool CsvReader::ParseRecord(CsvRow* row, bool header) {
  enum State { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted, kClosed, kBad };
  for (;;) {
    row->fields.clear();
    row->error = Status();
    row->line = next_line_;
    row->offset = next_offset_;
    std::string field;
    State st = kFieldStart;
    bool bad_in_quotes = false;  // kBad: quote parity, to find the record's real end
    bool quoted_any = false;
    bool too_long = false;
    bool consumed = false;
    size_t size = 0;
    int64_t line = next_line_;
    const char d = delim_;
    auto end_field = [&] {
      if (!too_long) row->fields.push_back(FinishField(std::move(field)));
      field.clear();
    };
    auto fail = [&](const char* why) {
      if (row->error.ok()) row->error = Status::Invalid(why, LineWhere(row->line));
    };
    bool ended = false;
    while (!ended) {
      if (pos_ >= buf_.size()) {
        if (!Fill()) {
          if (!status_.ok()) return false;
          if (pos_ >= buf_.size()) break;  // end of input
        }
        continue;
      }
      consumed = true;
      // Runs of plain bytes are copied in one go; only delimiters, quotes and line ends drive the machine.
      if (st == kUnquoted || st == kQuoted || st == kBad) {
        size_t j = pos_;
        const size_t n = buf_.size();
        if (st == kUnquoted) {
          while (j < n && buf_[j] != d && buf_[j] != '\n') ++j;
        } else {
          while (j < n && buf_[j] != '"' && buf_[j] != '\n') ++j;
        }
        if (j > pos_) {
          size += j - pos_;
          if (!too_long) field.append(buf_, pos_, j - pos_);
          pos_ = j;
          if (size > options_.max_record_bytes && !too_long) {
            too_long = true;
            fail("record too long");
            field.clear();
            row->fields.clear();
          }
          continue;
        }
      }
      char c = buf_[pos_];
      size_t at = pos_++;
      ++size;
      if (c == '\n') ++line;
      switch (st) {
        case kFieldStart:
          if (c == '"') {
            st = kQuoted;
            quoted_any = true;
          } else if (c == d) {
            end_field();
          } else if (c == '\n') {
            end_field();
            ended = true;
          } else {
            field.push_back(c);
            st = kUnquoted;
          }
          break;
        case kUnquoted:
          if (c == d) {
            end_field();
            st = kFieldStart;
          } else {  // '\n'
            if (!field.empty() && field.back() == '\r') field.pop_back();
            end_field();
            ended = true;
          }
          break;
        case kQuoted:
          if (c == '"') st = kQuoteInQuoted;
          else if (!too_long) field.push_back(c);  // '\n' inside quotes
          break;
        case kQuoteInQuoted:
        case kClosed:
          if (c == '"' && st == kQuoteInQuoted) {
            if (!too_long) field.push_back('"');
            st = kQuoted;
          } else if (c == d) {
            end_field();
            st = kFieldStart;
          } else if (c == '\n') {
            end_field();
            ended = true;
          } else if (c == '\r') {
            st = kClosed;
          } else {
            fail("unexpected character after closing quote");
            if (!too_long) field.push_back(c);
            st = kBad;
            bad_in_quotes = (c == '"');
          }
          break;
        case kBad:
          if (c == '"') {
            bad_in_quotes = !bad_in_quotes;
            if (!too_long) field.push_back(c);
          } else if (!bad_in_quotes) {  // '\n' ends the damaged record
            if (!field.empty() && field.back() == '\r') field.pop_back();
            end_field();
            ended = true;
          } else if (!too_long) {
            field.push_back(c);
          }
          break;
      }
      if (c == '\n' && ended) {
        next_offset_ = NewlineEnd(at);
      } else if (c == '\n') {
        NewlineEnd(at);  // keeps the UTF-16 newline queue in step
      }
      if (size > options_.max_record_bytes && !too_long) {
        too_long = true;
        fail("record too long");
        field.clear();
        row->fields.clear();
      }
    }
    if (!ended) {  // end of input
      if (!consumed) return false;
      if (st == kQuoted || (st == kBad && bad_in_quotes)) fail("unterminated quoted field");
      if (st == kUnquoted && !field.empty() && field.back() == '\r') field.pop_back();
      end_field();
      next_offset_ = read_total_;
    }
    next_line_ = line;
    row->end_offset = next_offset_;
    if (too_long) row->fields.clear();
    if (row->error.ok() && !quoted_any && row->fields.size() == 1 && row->fields[0].empty()) continue;  // blank
    return true;
  }
}

Status CsvReader::Start() {
  if (Status s = Detect(); !s.ok()) return s;
  if (options_.delimiter) {
    delim_ = options_.delimiter;
  } else {
    // Count candidate delimiters on the header line, outside quotes. Reads ahead without consuming.
    size_t i = pos_;
    bool in_quotes = false;
    size_t counts[3] = {0, 0, 0};
    for (;;) {
      if (i >= buf_.size()) {
        if (buf_.size() - pos_ > options_.max_record_bytes) break;
        size_t off = i - pos_;
        if (!Fill()) {
          if (!status_.ok()) return status_;
          if (pos_ + off >= buf_.size()) break;
        }
        i = pos_ + off;
        continue;
      }
      char c = buf_[i++];
      if (c == '"') in_quotes = !in_quotes;
      else if (in_quotes) continue;
      else if (c == '\n') break;
      else if (c == ',') ++counts[0];
      else if (c == ';') ++counts[1];
      else if (c == '\t') ++counts[2];
    }
    delim_ = ',';
    if (counts[1] > counts[0] && counts[1] >= counts[2]) delim_ = ';';
    if (counts[2] > counts[0] && counts[2] > counts[1]) delim_ = '\t';
  }
  CsvRow h;
  if (!ParseRecord(&h, true)) {
    if (!status_.ok()) return status_;
    return Status::Invalid("empty file: no header line", LineWhere(1));
  }
  if (!h.error.ok()) return Status::Invalid("bad header: " + h.error.message(), h.error.where());
  header_.clear();
  for (auto& f : h.fields) header_.push_back(Trim(f));
  return Status::Ok();
}

Status CsvReader::Resume(const CsvResume& r) {
  header_ = r.header;
  delim_ = r.delimiter;
  encoding_ = r.encoding;
  next_offset_ = read_total_ = buf_base_ = r.offset;
  next_line_ = r.line;
  return OpenConverter();
}

bool CsvReader::Next(CsvRow* row) {
  if (!ParseRecord(row, false)) return false;
  if (row->error.ok() && row->fields.size() != header_.size()) {
    row->error = Status::Invalid("row has " + std::to_string(row->fields.size()) + " fields, header has " +
                                     std::to_string(header_.size()),
                                 LineWhere(row->line));
  }
  return true;
}

CsvResume CsvReader::resume_point() const {
  CsvResume r;
  r.offset = next_offset_;
  r.line = next_line_;
  r.header = header_;
  r.delimiter = delim_;
  r.encoding = encoding_;
  return r;
}

std::string CsvLine(const std::vector<std::string>& fields, char delimiter) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out.push_back(delimiter);
    const std::string& f = fields[i];
    if (f.find_first_of(std::string("\"\r\n") + delimiter) == std::string::npos) {
      out += f;
      continue;
    }
    out.push_back('"');
    for (char c : f) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out += "\r\n";
  return out;
}

// ----- file identity -----

Result<std::string> Sha256Hex(ByteSource* source) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return Status::Internal("SHA-256 init");
  std::vector<char> buf(64 * 1024);
  for (;;) {
    auto n = source->Read(buf.data(), buf.size());
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), *n);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

// ----- header mapping -----

namespace {

// Common CSV headers (lowercased, spaces and hyphens as '_') from CRM, spreadsheet and mailing-tool exports.
// A source's own synonyms in rules/sources.toml come first; this table is the fallback.
const std::map<std::string, std::string, std::less<>> kCsvHeaderSynonyms = {
    {"e_mail", "email"},          {"email_address", "email"},   {"e_mail_address", "email"},
    {"mail", "email"},            {"courriel", "email"},        {"adresse_e_mail", "email"},
    {"work_email", "email"},      {"emailaddress", "email"},    {"first_name", "first_name"},
    {"firstname", "first_name"},  {"given_name", "first_name"}, {"prénom", "first_name"},
    {"prenom", "first_name"},     {"vorname", "first_name"},    {"last_name", "last_name"},
    {"lastname", "last_name"},    {"surname", "last_name"},     {"family_name", "last_name"},
    {"nom", "last_name"},         {"nachname", "last_name"},    {"name", "full_name"},
    {"full_name", "full_name"},   {"fullname", "full_name"},    {"contact_name", "full_name"},
    {"phone", "phone"},           {"phone_number", "phone"},    {"telephone", "phone"},
    {"téléphone", "phone"},       {"tel", "phone"},             {"mobile", "phone"},
    {"mobile_phone", "phone"},    {"cell", "phone"},            {"company", "company"},
    {"company_name", "company"},  {"organization", "company"},  {"organisation", "company"},
    {"account_name", "company"},  {"société", "company"},       {"societe", "company"},
    {"entreprise", "company"},    {"firma", "company"},         {"job_title", "job_title"},
    {"title", "job_title"},       {"position", "job_title"},    {"zip", "postal_code"},
    {"zip_code", "postal_code"},  {"zipcode", "postal_code"},   {"postcode", "postal_code"},
    {"postal_code", "postal_code"}, {"code_postal", "postal_code"}, {"plz", "postal_code"},
    {"city", "city"},             {"town", "city"},             {"ville", "city"},
    {"stadt", "city"},            {"state", "region"},          {"province", "region"},
    {"country", "country"},       {"pays", "country"},          {"land", "country"},
    {"address", "street"},        {"street_address", "street"}, {"address_1", "street"},
    {"address_line_1", "street"}, {"address_2", "street_2"},    {"address_line_2", "street_2"},
    {"website", "website"},       {"web_site", "website"},      {"url", "website"},
    {"lead_source", "lead_source"}, {"source", "lead_source"},  {"created", "created_at"},
    {"created_date", "created_at"}, {"date_created", "created_at"}, {"id", "external_id"},
};

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// "E-mail Address " -> "e_mail_address"; runs of space, '-', '.', '_' collapse to one '_'.
std::string Underscored(std::string_view s) {
  std::string lower = LowerAscii(Trim(s));
  std::string out;
  for (char c : lower) {
    bool sep = c == ' ' || c == '-' || c == '_' || c == '.' || c == '\t';
    if (sep) {
      if (!out.empty() && out.back() != '_') out.push_back('_');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace

std::vector<std::string> MapCsvHeader(const SourceConfig& source, const std::vector<std::string>& header) {
  std::vector<std::string> out(header.size());
  std::map<std::string, bool> taken;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = Trim(header[i]);
    std::string field = CanonicalFieldFor(source, name);
    std::string u = Underscored(name);
    if (field.empty()) field = CanonicalFieldFor(source, u);
    if (field.empty()) {
      // A source's synonyms may be written with spaces ("email address"); compare them underscored too.
      for (const auto& [syn, f] : source.synonyms)
        if (Underscored(syn) == u) {
          field = f;
          break;
        }
    }
    if (field.empty()) {
      auto it = kCsvHeaderSynonyms.find(u);
      if (it != kCsvHeaderSynonyms.end()) field = it->second;
    }
    if (!field.empty() && !taken[field]) {
      taken[field] = true;
      out[i] = field;
    }
  }
  return out;
}

Result<Record> CsvRowToRecord(const SourceConfig& source, const std::vector<std::string>& header,
                              const std::vector<std::string>& columns, const CsvRow& row,
                              std::string_view file_id) {
  if (!row.error.ok()) return row.error;
  Record rec;
  rec.source = source.name;
  rec.delivery_key = std::string(file_id) + ":" + std::to_string(row.line);
  rec.index = static_cast<int>(row.line);
  for (size_t i = 0; i < row.fields.size(); ++i) {
    const std::string& v = row.fields[i];
    if (v.empty()) continue;
    const std::string& field = i < columns.size() ? columns[i] : std::string();
    if (!field.empty()) {
      rec.fields[field] = v;
    } else {
      std::string key = i < header.size() && !header[i].empty() ? header[i] : "column_" + std::to_string(i + 1);
      rec.extra[key] = v;
    }
  }
  return rec;
}

}  // namespace canon
