#include "pipeline/allocator.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace canon::pipeline {

void ConfigureAllocatorForStreaming() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace canon::pipeline
