// Allocator settings for processes that stream large inputs (canond, canonctl import, bench/csv_import).
//
// canond, canonctl and bench/csv_import are linked with jemalloc (CMakeLists.txt): glibc's malloc was a third of
// canond's CPU on the write path (its per-record maps, strings and multi-megabyte batch parameters: _int_malloc,
// free, malloc_consolidate, unlink_chunk), and jemalloc cut canond's CPU per record by about a sixth
// (bench/pipeline). jemalloc keeps the resident set bounded on its own: it returns freed pages to the system after
// a delay (dirty_decay_ms) and allocates large blocks in extents that do not fragment a shared heap.
//
// Under glibc's malloc (a binary not linked with jemalloc, e.g. the tests), this sets what glibc needs instead:
// glibc raises its mmap threshold to the size of every large block it frees, so after the first batch the
// multi-megabyte buffers of each batch come from the heap and its free space is kept and fragmented: the resident
// set then creeps up with every batch of a long import. A fixed threshold (128 KiB) sends those buffers to mmap,
// which returns them to the system when freed; a fixed trim threshold returns the heap's top; two arenas bound
// per-thread heaps.
//
// Call once at the start of main, before threads start. Linux only; elsewhere a no-op.
#pragma once

namespace canon::pipeline {

void ConfigureAllocatorForStreaming();

}  // namespace canon::pipeline
