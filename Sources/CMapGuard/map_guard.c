#define _GNU_SOURCE
#include "map_guard.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOTS 256

// Each slot: start and end addresses (start 0 when free, 1 while being claimed) and the hit mark.
// Written by the owning thread with release stores, read by the handler with acquire loads: no
// locks in the signal handler.
static _Atomic uintptr_t slot_start[SLOTS];
static _Atomic uintptr_t slot_end[SLOTS];
static _Atomic int slot_hit[SLOTS];
static pthread_once_t installed = PTHREAD_ONCE_INIT;
static struct sigaction previous;
static uintptr_t page_size;  // read once at install: sysconf is not async-signal-safe

static void on_sigbus(int signo, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t start = atomic_load_explicit(&slot_start[i], memory_order_acquire);
        if (start <= 1 || address < start || address >= atomic_load_explicit(&slot_end[i], memory_order_acquire)) continue;
        uintptr_t at = address & ~(page_size - 1);
        // A private zero page over the vanished one; the read that faulted runs again and sees 0.
        if (mmap((void *)at, (size_t)page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) {
            atomic_store_explicit(&slot_hit[i], 1, memory_order_release);
            return;
        }
        break;
    }
    // Not ours: what was there before (or the default action, which ends the process).
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction) { previous.sa_sigaction(signo, info, context); return; }
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler) {
        previous.sa_handler(signo);
        return;
    }
    signal(SIGBUS, SIG_DFL);
    raise(SIGBUS);
}

static void install(void) {
    page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &previous);
}

int kimi_map_guard_register(const void *base, size_t size) {
    if (!base || size == 0) return -1;
    pthread_once(&installed, install);
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t expected = 0;
        // Claimed with the placeholder 1 (which the handler skips); the range is visible once the
        // real start is stored, after its end and mark.
        if (!atomic_compare_exchange_strong(&slot_start[i], &expected, 1)) continue;
        atomic_store_explicit(&slot_end[i], (uintptr_t)base + size, memory_order_release);
        atomic_store_explicit(&slot_hit[i], 0, memory_order_release);
        atomic_store_explicit(&slot_start[i], (uintptr_t)base, memory_order_release);
        return i;
    }
    return -1;
}

int kimi_map_guard_hit(int slot) {
    return slot >= 0 && slot < SLOTS ? atomic_load_explicit(&slot_hit[slot], memory_order_acquire) : 0;
}

void kimi_map_guard_unregister(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    atomic_store_explicit(&slot_start[slot], 0, memory_order_release);
}
