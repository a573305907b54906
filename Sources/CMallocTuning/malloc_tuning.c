#include "malloc_tuning.h"

// Any libc header defines __GLIBC__ on glibc; it must come before the test below.
#include <stdlib.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void conveyor_keep_freed_heap(int bytes) {
#if defined(__GLIBC__)
    mallopt(M_TRIM_THRESHOLD, bytes);
#else
    (void)bytes;
#endif
}
