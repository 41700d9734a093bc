#ifndef KIMI_MAP_GUARD_H
#define KIMI_MAP_GUARD_H

#include <stddef.h>

/// Guards memory maps of input files against SIGBUS. A file that another process truncates while
/// it is mapped raises SIGBUS on the first read past its new end, which would kill the whole batch.
/// While a map is registered, a SIGBUS inside it replaces the faulting page with zeros and marks
/// the slot; the reader finishes on zeros and the owner, seeing the mark, reports the file as
/// changed while it was read. A SIGBUS anywhere else is re-raised with the default action.

/// Registers [base, base + size) and returns its slot (>= 0), or -1 when every slot is taken
/// (the map is then unguarded, as before). Installs the handler on first use.
int kimi_map_guard_register(const void *base, size_t size);

/// Whether a SIGBUS hit the slot's range since it was registered.
int kimi_map_guard_hit(int slot);

/// Forgets the slot (before the map is unmapped).
void kimi_map_guard_unregister(int slot);

#endif
