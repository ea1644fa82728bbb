// libFuzzer target for CsvReader (built by scripts/fuzz; seeds in fuzz/corpus/csv_fuzz/).
//
// The first input byte picks the read size (1..16) so chunk boundaries land everywhere. Beyond "no crash" it
// checks the reader's promises: rows tile the input in order (between one row's end and the next row's start,
// and after the last row, there are only the bytes of skipped blank lines; nothing is skipped silently), a
// clean row has the header's width, and resuming at any reported row boundary yields exactly the same
// remaining rows.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "connectors/csv_reader.h"
#include "fuzz/fuzz_support.h"

using namespace canon;
using canon::fuzz::Check;

namespace {

// Bytes a skipped blank line may consist of: CR and LF, and in UTF-16 their zero high (or low) bytes.
bool OnlyBlankLines(std::string_view gap, CsvEncoding enc) {
  for (char c : gap) {
    bool utf16 = enc == CsvEncoding::kUtf16Le || enc == CsvEncoding::kUtf16Be;
    if (c != '\r' && c != '\n' && !(utf16 && c == '\0')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 16;
  std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  CsvOptions opt;
  opt.read_size = chunk;
  opt.max_record_bytes = 512;
  StringByteSource src(input, chunk + 3);
  CsvReader reader(&src, opt);
  if (!reader.Start().ok()) return 0;
  std::vector<CsvRow> rows;
  std::vector<CsvResume> points;
  CsvRow row;
  points.push_back(reader.resume_point());
  while (reader.Next(&row)) {
    rows.push_back(row);
    points.push_back(reader.resume_point());
  }
  Check(reader.status().ok());
  uint64_t end = points[0].offset;  // the header's end
  for (size_t i = 0; i < rows.size(); ++i) {
    Check(rows[i].offset >= end && rows[i].offset <= rows[i].end_offset);
    Check(rows[i].end_offset <= input.size());
    Check(OnlyBlankLines(input.substr(end, rows[i].offset - end), reader.encoding()));
    if (i > 0) Check(rows[i].line > rows[i - 1].line);
    if (rows[i].error.ok()) Check(rows[i].fields.size() == reader.header().size());
    end = rows[i].end_offset;
  }
  Check(end <= input.size() && OnlyBlankLines(input.substr(end), reader.encoding()));
  // Resume from the middle boundary.
  size_t k = points.size() / 2;
  const CsvResume& at = points[k];
  StringByteSource rest(input.substr(at.offset), 5);
  CsvReader second(&rest, opt);
  Check(second.Resume(at).ok());
  size_t i = k;
  while (second.Next(&row)) {
    Check(i < rows.size());
    Check(row.fields == rows[i].fields && row.line == rows[i].line && row.offset == rows[i].offset);
    ++i;
  }
  Check(i == rows.size());
  return 0;
}
