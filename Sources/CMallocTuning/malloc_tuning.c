#include "malloc_tuning.h"

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
