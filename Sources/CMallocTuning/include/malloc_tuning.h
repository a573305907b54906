#ifndef CONVEYOR_MALLOC_TUNING_H
#define CONVEYOR_MALLOC_TUNING_H

/// Keeps up to `bytes` of freed heap in the process instead of handing it back to the kernel as
/// soon as 128 KiB are free (glibc's default). Does nothing on other C libraries.
void conveyor_keep_freed_heap(int bytes);

#endif
