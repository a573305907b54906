#ifndef CONVEYOR_INSPECTION_GUARD_H
#define CONVEYOR_INSPECTION_GUARD_H

/// Makes this process unreadable to the other processes of its user: its /proc files (environ,
/// memory) belong to root and it cannot be traced, so a program it runs cannot read the secrets in
/// its environment. A program that runs as root still can. Does nothing off Linux.
void conveyor_forbid_inspection(void);

#endif
