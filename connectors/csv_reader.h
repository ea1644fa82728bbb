// CsvReader: a streaming RFC 4180 reader over any byte source, in constant memory whatever the file's size.
//
// What it handles: RFC 4180 quoting (delimiters, newlines and doubled quotes inside quoted fields), a UTF-8 BOM,
// CRLF and LF line ends, the delimiter detected among ',' ';' and TAB from the header line (counting only
// characters outside quotes; ties and none go to ','), and the encoding detected and converted to UTF-8 with ICU:
// UTF-8 (with or without BOM), UTF-16LE/BE with a BOM, and Windows-1252 when the first 64 KiB are not valid
// UTF-8. A later field that is not valid UTF-8 in a file sniffed as UTF-8 is read as Windows-1252 too (Excel
// exports mix them); a lone CR is data, not a line end.
//
// Quoting policy (lenient where Excel is, strict where data would be mis-split):
//  - a quote inside an unquoted field (`5" screen`) is kept literally;
//  - a character after a closing quote (`"abc"def`, usually an unescaped quote inside a quoted field) refuses
//    the row: "unexpected character after closing quote"; the reader resynchronises at the next line end that
//    is outside quotes and goes on;
//  - a quote left open at end of input refuses that row: "unterminated quoted field" (the rows it swallowed are
//    part of that one refused record: nothing is dropped without a report);
//  - a record longer than CsvOptions::max_record_bytes is refused ("record too long") and skipped.
// Every refused row comes back from Next() with `error` set (code kInvalidArgument, where = "line N"), so a
// caller can account for every record: each is either returned clean or returned with its reason. A row whose
// field count differs from the header's is refused the same way. Blank lines are skipped (they are no record).
//
// Positions: `line` is the 1-based physical line where a record starts (the header is line 1); offsets are byte
// offsets in the SOURCE bytes (before conversion, BOM included). resume_point() after Next() names the start of
// the next record; a new reader given that CsvResume over a source positioned at its offset yields exactly the
// remaining records with the same line numbers, so an import can restart mid-file after a crash.
//
// Ownership: the reader borrows the ByteSource (it must outlive the reader). Not thread-safe; one reader per
// file. Errors are values: Start/Resume return a Status; Next returns false at the end or on a read failure
// (then status() is non-ok).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <istream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hygiene/record.h"
#include "hygiene/rule_set.h"
#include "hygiene/status.h"

namespace canon {

// A stream of bytes: a file descriptor, an istream, a string. Read returns the count read (0 = end of input).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

// Reads from a string the caller keeps alive; `max_chunk` caps each Read (tests use 1, 2, 3 to cut everywhere).
class StringByteSource : public ByteSource {
 public:
  explicit StringByteSource(std::string_view data, size_t max_chunk = SIZE_MAX) : data_(data), max_(max_chunk) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::string_view data_;
  size_t max_;
  size_t pos_ = 0;
};

// Reads from an open file descriptor it does not own (retries EINTR). Position it with lseek to resume.
class FdByteSource : public ByteSource {
 public:
  explicit FdByteSource(int fd) : fd_(fd) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  int fd_;
};

class IstreamByteSource : public ByteSource {
 public:
  explicit IstreamByteSource(std::istream& in) : in_(in) {}
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::istream& in_;
};

enum class CsvEncoding { kUtf8, kUtf16Le, kUtf16Be, kWindows1252 };
const char* CsvEncodingName(CsvEncoding e);

struct CsvOptions {
  // Bytes asked of the source per Read. 64 KiB: large enough that syscalls are not the cost.
  size_t read_size = 64 * 1024;
  // A record above this is refused and skipped: it bounds memory when a stray quote swallows the file.
  size_t max_record_bytes = 1 << 20;
  // 0 = detect from the header line; else one of ',' ';' '\t'.
  char delimiter = 0;
};

// Where to restart: everything a reader learned from the file's beginning, plus the next record's position.
struct CsvResume {
  uint64_t offset = 0;  // source byte offset of the next record's first byte
  int64_t line = 2;     // its physical line number
  std::vector<std::string> header;
  char delimiter = ',';
  CsvEncoding encoding = CsvEncoding::kUtf8;
};

struct CsvRow {
  int64_t line = 0;         // physical line where the record starts (header = 1)
  uint64_t offset = 0;      // source byte offset of its first byte
  uint64_t end_offset = 0;  // source byte offset just after its line end (= the next record's offset)
  std::vector<std::string> fields;  // UTF-8; what could be parsed even when `error` is set
  Status error;                     // ok, or why the row is refused (where = "line N")
};

class CsvReader {
 public:
  explicit CsvReader(ByteSource* source, CsvOptions options = {});
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads from the first byte of the file: BOM and encoding, delimiter, header line. An empty file, a header
  // that cannot be read, binary data (more than 1% NUL bytes in the first 64 KiB of a file without a UTF-16
  // BOM), or a read failure is an error: the file is not a CSV the reader can take.
  Status Start();
  // Continues at a record boundary that an earlier reader reported; the source must already be positioned at
  // resume.offset (lseek, seekg, or a fresh StringByteSource over data.substr(offset)).
  Status Resume(const CsvResume& resume);

  // The next record (clean or refused, see the contract above). False at end of input or on a read failure.
  bool Next(CsvRow* row);
  const Status& status() const { return status_; }

  const std::vector<std::string>& header() const { return header_; }
  char delimiter() const { return delim_; }
  CsvEncoding encoding() const { return encoding_; }
  CsvResume resume_point() const;
  // Source bytes consumed by the records returned so far (header included): progress = this / file size.
  uint64_t offset() const { return next_offset_; }

 private:
  // Appends decoded UTF-8 to buf_; false at end of input (or failure, then status_ is set).
  bool Fill();
  // Converts `n` source bytes (n == 0: end of input, flush) and appends them to buf_.
  bool Decode(const char* data, size_t n);
  // Source offset just after the '\n' at buf_[i], which the parser has just consumed.
  uint64_t NewlineEnd(size_t i);
  bool ParseRecord(CsvRow* row, bool header);
  std::string FinishField(std::string&& raw) const;
  Status Detect();
  Status OpenConverter();

  ByteSource* source_;
  CsvOptions options_;
  Status status_;
  CsvEncoding encoding_ = CsvEncoding::kUtf8;
  char delim_ = ',';
  std::vector<std::string> header_;
  std::string buf_;     // decoded UTF-8 (or raw single-byte text for Windows-1252), not yet parsed past pos_
  size_t pos_ = 0;
  uint64_t buf_base_ = 0;  // identity encodings: source offset of buf_[0]
  uint64_t read_total_ = 0;  // source offset after the last byte read
  std::deque<uint64_t> newline_ends_;  // UTF-16: source offsets after each decoded '\n' not yet parsed
  bool eof_ = false;
  uint64_t next_offset_ = 0;
  int64_t next_line_ = 1;
  std::vector<char> raw_;  // read buffer
  struct Converter;
  std::unique_ptr<Converter> cnv_;
};

// One CSV line (RFC 4180), for reports such as the `.report.csv` of refused rows: fields holding the delimiter,
// a quote, CR or LF are quoted with quotes doubled; ends with "\r\n".
std::string CsvLine(const std::vector<std::string>& fields, char delimiter = ',');

// SHA-256 of every byte of a source, lowercase hex: the file identity in CSV delivery keys.
Result<std::string> Sha256Hex(ByteSource* source);

// Column -> canonical field for a CSV header, "" for a column no rule knows (its values go to Record::extra
// under the header text). Looks at the source's map and synonyms (CanonicalFieldFor), then the same with
// spaces and hyphens read as '_', then a built-in table of common headers ("E-mail", "Email Address",
// "Courriel", "Zip", "Mobile", ...). The first column mapped to a field wins; later ones go to extra.
std::vector<std::string> MapCsvHeader(const SourceConfig& source, const std::vector<std::string>& header);

// One CSV row -> Record. delivery_key = "<file_id>:<line>", index = line. Empty cells are left out. A refused
// row returns its error.
Result<Record> CsvRowToRecord(const SourceConfig& source, const std::vector<std::string>& header,
                              const std::vector<std::string>& columns, const CsvRow& row,
                              std::string_view file_id);

}  // namespace canon
