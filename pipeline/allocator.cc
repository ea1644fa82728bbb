#include "pipeline/allocator.h"

#include <cstdlib>  // defines __GLIBC__: without a libc header before it, the check below never held

#if defined(__GLIBC__)
#include <dlfcn.h>
#include <malloc.h>
#endif

namespace canon::pipeline {

void ConfigureAllocatorForStreaming() {
#if defined(__GLIBC__)
  // jemalloc exports mallctl; a process linked with it (or with it preloaded) has its malloc, and glibc's settings
  // would tune an allocator nothing uses.
  if (dlsym(RTLD_DEFAULT, "mallctl") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  mallopt(M_ARENA_MAX, 2);
#endif
}

}  // namespace canon::pipeline
