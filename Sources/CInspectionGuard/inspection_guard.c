#include "inspection_guard.h"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

void conveyor_forbid_inspection(void) {
#if defined(__linux__)
    // PR_SET_DUMPABLE 0: what `conveyor work` runs (the same user) can no longer read
    // /proc/<worker>/environ; the programs themselves start dumpable again at exec.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
}
