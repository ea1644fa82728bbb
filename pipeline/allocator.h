// Allocator settings for processes that stream large inputs (canond, canonctl import, bench/csv_import).
//
// Why: glibc raises its mmap threshold to the size of every large block it frees, so after the first batch the
// multi-megabyte buffers of each batch (array parameters, query results) come from the heap instead of mmap, and
// the heap's free space is kept and fragmented: the resident set then creeps up with every batch of a long import.
// A fixed threshold (128 KiB) sends those buffers to mmap, which returns them to the system when freed; a fixed
// trim threshold returns the heap's top; two arenas bound per-thread heaps (the importer's reader and writer, the
// HTTP threads, the workers). Call once at the start of main, before threads start. Linux/glibc only; elsewhere
// a no-op.
#pragma once

namespace canon::pipeline {

void ConfigureAllocatorForStreaming();

}  // namespace canon::pipeline
