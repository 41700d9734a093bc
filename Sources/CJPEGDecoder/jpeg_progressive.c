// Progressive JPEG (SOF2, Huffman, 8-bit, 1 or 3 components) decoded on several threads.
//
// libjpeg decodes a progressive file's scans one after another on one core, and that entropy
// decoding is nearly all of its time (a 24 MP file: ~0.5 s of entropy decoding, ~0.04 s of IDCT).
// Scans are independent bit streams, though: a scan depends only on the earlier scans that refine
// the same coefficients (same component, overlapping spectral band), and only block row by block
// row. So every scan is decoded in steps of one block row, each step taken by any of `threads`
// workers once the scans it refines have finished that row: a wavefront. The first AC scans of
// different bands and components run side by side, each refinement scan follows the scan it
// refines, and no scan runs more than KP_WINDOW iMCU rows ahead of the output, so the coefficients
// held are a band of the image, not all of it (see Memory).
//
// The output is what libjpeg's raw-data decode gives (dequantised coefficients through the accurate
// integer IDCT, jidctint.c's arithmetic: `kimi_jpeg_decode_planes`' samples exactly), written one
// iMCU row at a time into the caller's planes or rings. Anything unusual in the file — a Huffman
// code that does not exist, data that ends early, a restart marker out of place, a coefficient
// index out of range, more than 256 scans — makes this decoder decline (-2) and libjpeg decode the
// file the usual way, with its own warnings and concealment.
#include "jpeg_decoder.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { KP_MAX_SCANS = 256, KP_MAX_TABLES = 64, KP_FAST_BITS = 9, KP_WINDOW = 64, KP_RUN = 8 };

static const uint8_t kp_zigzag[64] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,  12, 19, 26, 33, 40, 48,
    41, 34, 27, 20, 13, 6,  7,  14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23,
    30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

typedef struct {
    // Codes of up to KP_FAST_BITS bits: fast[peek] = length << 8 | value (0: longer or none).
    uint16_t fast[1 << KP_FAST_BITS];
    // Longer codes: for length l, codes below maxcode[l] (left-aligned to 16 bits) are of length l.
    uint32_t maxcode[18];
    int delta[17];  // index of a length-l code's value: (code >> (16 - l)) + delta[l]
    uint8_t values[256];
} kp_huffman;

typedef struct {
    int id, h, v, tq;
    int bw, bh;           // blocks stored (whole MCUs)
    int cw, ch;           // blocks a non-interleaved scan covers
    int quant_latched;
    uint16_t quant[64];   // natural order
    int16_t *coef;        // bw × bh blocks of 64 (its own mapping)
    size_t coef_bytes, released;
} kp_component;

typedef struct {
    const uint8_t *data;
    size_t size, pos;
    uint64_t acc;
    int bits;
    int fake;  // zero bytes fed past the data's end
    int next_restart;  // n of the RSTn marker expected next
} kp_bits;

typedef struct {
    int ns, comp[3], dc_table[3], ac_table[3];
    int ss, se, ah, al, restart;
    const uint8_t *data;
    size_t size;
    int deps[KP_MAX_SCANS], ndeps;
    _Atomic int progress[3];  // block rows of each of its components complete (INT_MAX: done)
    // Where its decode stands between steps (a step is one block row, or one MCU row when
    // interleaved): only the worker holding it (`busy`, set under the lock) writes these; the
    // workers choosing a scan read `next` and `done` of scans nobody holds, under the lock.
    int next, rows, busy, done;
    int pred[3], eobrun, left;
    kp_bits bits;
} kp_scan;


typedef struct {
    int width, height, ncomp, hmax, vmax, mcus_x, mcus_y;
    kp_component comp[3];
    kp_huffman *tables[KP_MAX_TABLES];
    int ntables;
    kp_scan *scans;
    int nscans;
    int scans_left;  // under the lock
    atomic_int failed;
    // iMCU rows written out, and how far ahead of them a scan may decode (KP_WINDOW; INT_MAX/2:
    // unbounded, when the caller's thread must run the scans itself).
    _Atomic int written, window;
    pthread_mutex_t lock;
    pthread_cond_t moved;
} kp_decoder;

// --- Markers ------------------------------------------------------------------------------------

static int kp_u16(const uint8_t *p) { return p[0] << 8 | p[1]; }

static kp_huffman *kp_build(const uint8_t *counts, const uint8_t *values, int total) {
    kp_huffman *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    memcpy(t->values, values, (size_t)total);
    uint32_t code = 0;
    int k = 0;
    for (int l = 1; l <= 16; l++) {
        // libjpeg's rule, checked before anything is written: the codes of each length fit in it,
        // the all-ones code unused (a table that breaks it is an error there too).
        if (code + counts[l - 1] >= (1u << l) && (counts[l - 1] > 0 || code >= (1u << l))) {
            free(t);
            return NULL;
        }
        t->delta[l] = k - (int)code;
        for (int i = 0; i < counts[l - 1]; i++, k++, code++) {
            if (l <= KP_FAST_BITS) {
                int shift = KP_FAST_BITS - l;
                for (int j = 0; j < 1 << shift; j++) t->fast[(code << shift) | (uint32_t)j] = (uint16_t)(l << 8 | values[k]);
            }
        }
        t->maxcode[l] = code << (16 - l);
        code <<= 1;
    }
    t->maxcode[17] = UINT32_MAX;
    return t;
}

// Reads the markers: tables, frame, scans (each with its entropy-coded data's extent). 0, or -2.
static int kp_parse(kp_decoder *d, const uint8_t *p, size_t n) {
    const kp_huffman *current[2][4] = {{0}};
    uint16_t quant[4][64];
    int have_quant[4] = {0}, restart = 0, frame = 0;
    int8_t coef_bits[3][64];  // per component and coefficient: the Al of its last scan (-1: none yet)
    memset(coef_bits, -1, sizeof coef_bits);
    if (n < 4 || p[0] != 0xFF || p[1] != 0xD8) return -2;
    size_t at = 2;
    for (;;) {
        if (at + 2 > n || p[at] != 0xFF) return -2;
        int marker = p[at + 1];
        if (marker == 0xFF) { at++; continue; }
        if (marker == 0xD9) break;
        if (at + 4 > n) return -2;
        size_t length = (size_t)kp_u16(p + at + 2);
        if (length < 2 || at + 2 + length > n) return -2;
        const uint8_t *b = p + at + 4;
        size_t blen = length - 2;
        switch (marker) {
        case 0xC2: {  // progressive, Huffman
            if (frame || blen < 6 || b[0] != 8) return -2;
            d->height = kp_u16(b + 1);
            d->width = kp_u16(b + 3);
            d->ncomp = b[5];
            if (d->width <= 0 || d->height <= 0 || (d->ncomp != 1 && d->ncomp != 3) || blen < 6 + 3 * (size_t)d->ncomp) return -2;
            d->hmax = d->vmax = 1;
            for (int i = 0; i < d->ncomp; i++) {
                kp_component *c = &d->comp[i];
                c->id = b[6 + 3 * i];
                c->h = b[7 + 3 * i] >> 4;
                c->v = b[7 + 3 * i] & 15;
                c->tq = b[8 + 3 * i];
                if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4 || c->tq > 3) return -2;
                if (c->h > d->hmax) d->hmax = c->h;
                if (c->v > d->vmax) d->vmax = c->v;
            }
            d->mcus_x = (d->width + 8 * d->hmax - 1) / (8 * d->hmax);
            d->mcus_y = (d->height + 8 * d->vmax - 1) / (8 * d->vmax);
            for (int i = 0; i < d->ncomp; i++) {
                kp_component *c = &d->comp[i];
                c->bw = d->mcus_x * c->h;
                c->bh = d->mcus_y * c->v;
                long cwidth = ((long)d->width * c->h + d->hmax - 1) / d->hmax;
                long cheight = ((long)d->height * c->v + d->vmax - 1) / d->vmax;
                c->cw = (int)((cwidth + 7) / 8);
                c->ch = (int)((cheight + 7) / 8);
                c->coef_bytes = (size_t)c->bw * (size_t)c->bh * 64 * sizeof(int16_t);
                void *memory = mmap(NULL, c->coef_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (memory == MAP_FAILED) return -2;
                c->coef = memory;
            }
            frame = 1;
            break;
        }
        case 0xC0: case 0xC1: case 0xC3: case 0xC5: case 0xC6: case 0xC7:
        case 0xC9: case 0xCA: case 0xCB: case 0xCD: case 0xCE: case 0xCF:
            return -2;  // not progressive Huffman: libjpeg's
        case 0xC4: {  // Huffman tables
            size_t i = 0;
            while (i < blen) {
                if (i + 17 > blen) return -2;
                int cls = b[i] >> 4, id = b[i] & 15, total = 0;
                for (int l = 0; l < 16; l++) total += b[i + 1 + l];
                if (cls > 1 || id > 3 || total > 256 || i + 17 + (size_t)total > blen || d->ntables >= KP_MAX_TABLES) return -2;
                kp_huffman *t = kp_build(b + i + 1, b + i + 17, total);
                if (!t) return -2;
                d->tables[d->ntables++] = t;
                current[cls][id] = t;
                i += 17 + (size_t)total;
            }
            break;
        }
        case 0xDB: {  // quantisation tables
            size_t i = 0;
            while (i < blen) {
                int precision = b[i] >> 4, id = b[i] & 15;
                size_t need = 1 + (precision ? 128 : 64);
                if (precision > 1 || id > 3 || i + need > blen) return -2;
                for (int k = 0; k < 64; k++)
                    quant[id][kp_zigzag[k]] = precision ? (uint16_t)kp_u16(b + i + 1 + 2 * k) : b[i + 1 + k];
                have_quant[id] = 1;
                i += need;
            }
            break;
        }
        case 0xDD:
            if (blen < 2) return -2;
            restart = kp_u16(b);
            break;
        case 0xDA: {  // a scan, then its entropy-coded data up to the next marker (not a restart)
            if (!frame || blen < 1 || d->nscans >= KP_MAX_SCANS) return -2;
            kp_scan *s = &d->scans[d->nscans];
            memset(s, 0, sizeof *s);
            s->ns = b[0];
            if (s->ns < 1 || s->ns > d->ncomp || blen != 4 + 2 * (size_t)s->ns) return -2;
            for (int i = 0; i < s->ns; i++) {
                int found = -1;
                for (int c = 0; c < d->ncomp; c++) if (d->comp[c].id == b[1 + 2 * i]) found = c;
                if (found < 0) return -2;
                for (int j = 0; j < i; j++) if (s->comp[j] == found) return -2;
                s->comp[i] = found;
                s->dc_table[i] = b[2 + 2 * i] >> 4;
                s->ac_table[i] = b[2 + 2 * i] & 15;
                if (s->dc_table[i] > 3 || s->ac_table[i] > 3) return -2;
            }
            const uint8_t *tail = b + 1 + 2 * s->ns;
            s->ss = tail[0];
            s->se = tail[1];
            s->ah = tail[2] >> 4;
            s->al = tail[2] & 15;
            if (s->ss == 0 ? s->se != 0 : (s->se < s->ss || s->se > 63 || s->ns != 1)) return -2;
            if (s->al > 13 || (s->ah != 0 && s->al != s->ah - 1)) return -2;
            // The progression must add bits where the earlier scans left off (libjpeg warns
            // "Inconsistent progression sequence" otherwise): let libjpeg say so.
            for (int i = 0; i < s->ns; i++) {
                int8_t *known = coef_bits[s->comp[i]];
                if (s->ss > 0 && known[0] < 0) return -2;  // AC before any DC
                for (int k = s->ss; k <= s->se; k++) {
                    if (s->ah != (known[k] < 0 ? 0 : known[k])) return -2;
                    known[k] = (int8_t)s->al;
                }
            }
            s->restart = restart;
            // Tables it uses, kept as they are now (a later DHT makes new ones).
            for (int i = 0; i < s->ns; i++) {
                kp_component *c = &d->comp[s->comp[i]];
                if (s->ss == 0 && s->ah == 0 && !current[0][s->dc_table[i]]) return -2;
                if (s->ss > 0 && !current[1][s->ac_table[i]]) return -2;
                if (!c->quant_latched) {
                    if (!have_quant[c->tq]) return -2;
                    memcpy(c->quant, quant[c->tq], sizeof c->quant);
                    c->quant_latched = 1;
                }
            }
            // Table pointers ride in the table-id fields: index into d->tables.
            for (int i = 0; i < s->ns; i++) {
                const kp_huffman *t = s->ss == 0 ? current[0][s->dc_table[i]] : current[1][s->ac_table[i]];
                int index = -1;
                for (int k = 0; k < d->ntables; k++) if (d->tables[k] == t) index = k;
                if (s->ss == 0) s->dc_table[i] = index; else s->ac_table[i] = index;
            }
            size_t start = at + 2 + length, end = start;
            for (;;) {
                const uint8_t *ff = memchr(p + end, 0xFF, n - end);
                if (!ff || (size_t)(ff - p) + 1 >= n) return -2;  // no EOI: truncated
                end = (size_t)(ff - p);
                int next = p[end + 1];
                if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) { end += 2; continue; }
                if (next == 0xFF) { end += 1; continue; }
                break;
            }
            s->data = p + start;
            s->size = end - start;
            d->nscans++;
            at = end;
            continue;
        }
        default:
            // APPn and COM are skipped; libjpeg stops at any other marker (a restart marker outside
            // a scan, DNL, JPG extensions, …): it says so.
            if (!(marker >= 0xE0 && marker <= 0xEF) && marker != 0xFE) return -2;
            break;
        }
        at += 2 + length;
    }
    if (!frame || d->nscans == 0) return -2;
    for (int i = 0; i < d->ncomp; i++) if (!d->comp[i].quant_latched) return -2;  // a component no scan covers
    // Dependencies: earlier scans sharing a component whose spectral band overlaps.
    for (int s = 0; s < d->nscans; s++) {
        kp_scan *a = &d->scans[s];
        for (int e = 0; e < s; e++) {
            kp_scan *b = &d->scans[e];
            int shared = 0;
            for (int i = 0; i < a->ns; i++) for (int j = 0; j < b->ns; j++) shared |= a->comp[i] == b->comp[j];
            if (shared && a->ss <= b->se && b->ss <= a->se) a->deps[a->ndeps++] = e;
        }
    }
    return 0;
}

// --- Bits and Huffman codes ---------------------------------------------------------------------

static void kp_fill(kp_bits *r) {
    while (r->bits <= 56) {
        uint8_t byte = 0;
        if (r->pos < r->size) {
            byte = r->data[r->pos];
            if (byte == 0xFF) {
                if (r->pos + 1 < r->size && r->data[r->pos + 1] == 0x00) {
                    r->pos += 2;
                } else {
                    if (r->fake < 16) r->fake++;  // a marker: zeros from here, as libjpeg feeds them
                    byte = 0;
                }
            } else {
                r->pos++;
            }
        } else if (r->fake < 16) {
            r->fake++;  // capped: past 8 fed bytes the scan has overrun anyway
        }
        r->acc |= (uint64_t)byte << (56 - r->bits);
        r->bits += 8;
    }
}

static inline uint32_t kp_get(kp_bits *r, int n) {
    if (n == 0) return 0;
    if (r->bits < n) kp_fill(r);
    uint32_t v = (uint32_t)(r->acc >> (64 - n));
    r->acc <<= n;
    r->bits -= n;
    return v;
}

static inline int kp_extend(uint32_t v, int s) {
    return s == 0 ? 0 : (v < (1u << (s - 1)) ? (int)v - (1 << s) + 1 : (int)v);
}

// The next Huffman-coded value, or -1 for a code the table does not have.
static inline int kp_decode(kp_bits *r, const kp_huffman *t) {
    if (r->bits < 16) kp_fill(r);
    uint32_t peek = (uint32_t)(r->acc >> (64 - KP_FAST_BITS));
    uint16_t f = t->fast[peek];
    if (f) {
        int l = f >> 8;
        r->acc <<= l;
        r->bits -= l;
        return f & 0xFF;
    }
    uint32_t code16 = (uint32_t)(r->acc >> 48);
    int l = KP_FAST_BITS + 1;
    while (l <= 16 && code16 >= t->maxcode[l]) l++;
    if (l > 16) return -1;
    int index = (int)(code16 >> (16 - l)) + t->delta[l];
    if (index < 0 || index > 255) return -1;
    r->acc <<= l;
    r->bits -= l;
    return t->values[index];
}

// Bits consumed past the data's end (zeros libjpeg would warn about): damage.
static int kp_overran(const kp_bits *r) { return r->fake * 8 > r->bits; }

// At a restart interval's end: the rest of the byte dropped, the RSTn marker skipped.
static int kp_restart(kp_bits *r) {
    // What is left in the accumulator is the interval's padding (under a byte) and zeros fed at
    // the marker; a whole byte of real data left over is damage.
    if (kp_overran(r) || r->bits / 8 != r->fake) return -1;
    r->acc = 0;
    r->bits = 0;
    r->fake = 0;
    if (r->pos + 1 < r->size && r->data[r->pos] == 0xFF && r->data[r->pos + 1] == 0xD0 + r->next_restart) {
        r->pos += 2;
        r->next_restart = (r->next_restart + 1) & 7;
        return 0;
    }
    return -1;
}

// --- Memory ------------------------------------------------------------------------------------
//
// All the coefficients would be 128 bytes a block: 72 MB for a 24 MP 4:2:0 file, 144 MB at 4:4:4.
// They live in one mapping per component, but only a band of it is ever resident: pages are
// touched when a scan first reaches their rows, no scan goes more than KP_WINDOW iMCU rows (1,024
// sample rows at 4:2:0, 512 at 4:4:4) past the rows written out, and each block row's coefficients
// are returned (MADV_DONTNEED, in 4 MiB steps) as soon as their samples are out. A 24 MP 4:4:4
// file's whole `prepare` peaked at 185 MiB when every scan ran to the end on its own; windowed,
// 80 MiB, in the same time (the least advanced scan is served first, so the window seldom stalls
// anyone). A finished scan's file pages are handed back too (a hint: the kernel drops clean pages
// and reads them again if touched).

static size_t kp_page(void) {
    long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? (size_t)page : 4096;
}

static void kp_release_input(const uint8_t *data, size_t size) {
#ifdef MADV_PAGEOUT
    size_t page = kp_page();
    uintptr_t start = ((uintptr_t)data + page - 1) / page * page, end = ((uintptr_t)data + size) / page * page;
    if (end > start) madvise((void *)start, end - start, MADV_PAGEOUT);
#else
    (void)data;
    (void)size;
#endif
}

// The component's coefficients before byte `upto` are no longer needed.
static void kp_release_coefficients(kp_component *c, size_t upto) {
    // In steps of 4 MiB at least (each call interrupts the process's other threads), the rest at the end.
    size_t page = kp_page(), end = upto / page * page;
    if (end > c->released && (end - c->released >= (4u << 20) || upto >= c->coef_bytes)) {
        madvise((char *)c->coef + c->released, end - c->released, MADV_DONTNEED);
        c->released = end;
    }
}

// --- Scans --------------------------------------------------------------------------------------

static int kp_block_dc(kp_bits *r, int16_t *block, const kp_scan *s, const kp_huffman *t, int *pred) {
    if (s->ah == 0) {
        int size = kp_decode(r, t);
        if (size < 0 || size > 11) return -1;
        int diff = kp_extend(kp_get(r, size), size);
        if (diff > 0 ? *pred > INT_MAX - diff : *pred < INT_MIN - diff) return -1;  // libjpeg: "DCT coefficient out of range"
        *pred += diff;
        block[0] = (int16_t)((unsigned)*pred << s->al);
    } else if (kp_get(r, 1)) {
        block[0] = (int16_t)(block[0] | (1 << s->al));
    }
    return 0;
}

static int kp_block_ac_first(kp_bits *r, int16_t *block, const kp_scan *s, const kp_huffman *t, int *eobrun) {
    if (*eobrun > 0) {
        (*eobrun)--;
        return 0;
    }
    for (int k = s->ss; k <= s->se; k++) {
        int rs = kp_decode(r, t);
        if (rs < 0) return -1;
        int run = rs >> 4, size = rs & 15;
        if (size) {
            k += run;
            if (k > s->se || size > 15) return -1;
            block[kp_zigzag[k]] = (int16_t)((unsigned)kp_extend(kp_get(r, size), size) << s->al);
        } else if (run == 15) {
            k += 15;
        } else {
            *eobrun = (1 << run) - 1;
            if (run) *eobrun += (int)kp_get(r, run);
            break;
        }
    }
    return 0;
}

static inline void kp_refine(kp_bits *r, int16_t *coef, int p1) {
    if (kp_get(r, 1) && (*coef & p1) == 0) *coef = (int16_t)(*coef >= 0 ? *coef + p1 : *coef - p1);
}

static int kp_block_ac_refine(kp_bits *r, int16_t *block, const kp_scan *s, const kp_huffman *t, int *eobrun) {
    int p1 = 1 << s->al, k = s->ss;
    if (*eobrun == 0) {
        for (; k <= s->se; k++) {
            int rs = kp_decode(r, t);
            if (rs < 0) return -1;
            int run = rs >> 4, size = rs & 15, value = 0;
            if (size) {
                if (size != 1) return -1;
                value = kp_get(r, 1) ? p1 : -p1;
            } else if (run != 15) {
                *eobrun = 1 << run;
                if (run) *eobrun += (int)kp_get(r, run);
                break;
            }
            // Past nonzero coefficients (each gets its correction bit) and `run` zero ones.
            while (k <= s->se) {
                int16_t *coef = block + kp_zigzag[k];
                if (*coef != 0) {
                    kp_refine(r, coef, p1);
                } else {
                    if (run == 0) break;
                    run--;
                }
                k++;
            }
            if (value) {
                if (k > s->se) return -1;
                block[kp_zigzag[k]] = (int16_t)value;
            }
        }
    }
    if (*eobrun > 0) {
        for (; k <= s->se; k++) {
            int16_t *coef = block + kp_zigzag[k];
            if (*coef != 0) kp_refine(r, coef, p1);
        }
        (*eobrun)--;
    }
    return 0;
}

// Whether every scan `s` refines has finished the block rows of `c` below `rows`.
static int kp_deps_ready(const kp_decoder *d, const kp_scan *s, int c, int rows) {
    for (int i = 0; i < s->ndeps; i++) {
        const kp_scan *dep = &d->scans[s->deps[i]];
        for (int j = 0; j < dep->ns; j++)
            if (dep->comp[j] == c && atomic_load_explicit(&dep->progress[j], memory_order_acquire) < rows) return 0;
    }
    return 1;
}

// Whether `s` may decode its next step now: the scans it refines are past it, and it stays within
// the window of iMCU rows ahead of the output.
static int kp_ready(const kp_decoder *d, const kp_scan *s) {
    int limit = atomic_load_explicit(&d->written, memory_order_acquire) + atomic_load_explicit(&d->window, memory_order_relaxed);
    if (s->ns == 1) {
        int c = s->comp[0];
        return s->next / d->comp[c].v < limit && kp_deps_ready(d, s, c, s->next + 1);
    }
    if (s->next >= limit) return 0;
    for (int i = 0; i < s->ns; i++)
        if (!kp_deps_ready(d, s, s->comp[i], (s->next + 1) * d->comp[s->comp[i]].v)) return 0;
    return 1;
}

// Waits until every scan that covers component `c` has finished its block rows below `rows`.
static void kp_wait_all(kp_decoder *d, int c, int rows) {
    for (int i = 0; i < d->nscans; i++) {
        kp_scan *s = &d->scans[i];
        for (int j = 0; j < s->ns; j++) {
            if (s->comp[j] != c) continue;
            int need = s->ns == 1 && rows > d->comp[c].ch ? d->comp[c].ch : rows;
            if (atomic_load_explicit(&s->progress[j], memory_order_acquire) >= need) continue;
            pthread_mutex_lock(&d->lock);
            while (atomic_load_explicit(&s->progress[j], memory_order_acquire) < need && !atomic_load(&d->failed))
                pthread_cond_wait(&d->moved, &d->lock);
            pthread_mutex_unlock(&d->lock);
        }
    }
}

static void kp_publish(kp_scan *s, int slot, int rows) {
    atomic_store_explicit(&s->progress[slot], rows, memory_order_release);
}

// The next block row of scan `s` (or MCU row, interleaved), read on from where its last step
// stopped: 0, or -1 on damage.
static int kp_scan_rows(kp_decoder *d, kp_scan *s, kp_bits *r, int *pred, int *eobrun_, int *left_) {
    int eobrun = *eobrun_, left = *left_, status = 0;
    int dc = s->ss == 0;
    if (s->ns == 1) {
        kp_component *c = &d->comp[s->comp[0]];
        const kp_huffman *t = dc ? (s->ah ? NULL : d->tables[s->dc_table[0]]) : d->tables[s->ac_table[0]];
        int by = s->next;
        int16_t *row = c->coef + (size_t)by * (size_t)c->bw * 64;
        for (int bx = 0; bx < c->cw && status == 0; bx++) {
            if (s->restart) {
                if (left == 0) {
                    if (kp_restart(r) != 0) { status = -1; break; }
                    pred[0] = 0;
                    eobrun = 0;
                    left = s->restart;
                }
                left--;
            }
            int16_t *block = row + (size_t)bx * 64;
            status = dc ? kp_block_dc(r, block, s, t, &pred[0])
                   : s->ah == 0 ? kp_block_ac_first(r, block, s, t, &eobrun) : kp_block_ac_refine(r, block, s, t, &eobrun);
        }
    } else {
        int my = s->next;
        for (int mx = 0; mx < d->mcus_x && status == 0; mx++) {
            if (s->restart) {
                if (left == 0) {
                    if (kp_restart(r) != 0) { status = -1; break; }
                    pred[0] = pred[1] = pred[2] = 0;
                    left = s->restart;
                }
                left--;
            }
            for (int i = 0; i < s->ns && status == 0; i++) {
                kp_component *c = &d->comp[s->comp[i]];
                const kp_huffman *t = s->ah ? NULL : d->tables[s->dc_table[i]];
                for (int y = 0; y < c->v && status == 0; y++)
                    for (int x = 0; x < c->h && status == 0; x++) {
                        int16_t *block = c->coef + (((size_t)(my * c->v + y) * (size_t)c->bw) + (size_t)(mx * c->h + x)) * 64;
                        status = kp_block_dc(r, block, s, t, &pred[i]);
                    }
            }
        }
    }
    *eobrun_ = eobrun;
    *left_ = left;
    // The data ended early: stop now, not after every block.
    if (status != 0 || kp_overran(r)) return -1;
    s->next++;
    return 0;
}

// One step of scan `s`, its progress published: 0, or -1 on damage.
static int kp_scan_step(kp_decoder *d, kp_scan *s) {
    // The reader's state in locals for the step (registers, not the shared struct), put back after.
    kp_bits bits = s->bits, *r = &bits;
    int pred[3] = {s->pred[0], s->pred[1], s->pred[2]}, eobrun = s->eobrun, left = s->left;
    int status = kp_scan_rows(d, s, r, pred, &eobrun, &left);
    s->bits = bits;
    for (int i = 0; i < 3; i++) s->pred[i] = pred[i];
    s->eobrun = eobrun;
    s->left = left;
    if (status != 0) return -1;
    if (s->ns == 1) kp_publish(s, 0, s->next == s->rows ? INT_MAX : s->next);
    else for (int i = 0; i < s->ns; i++) kp_publish(s, i, s->next == s->rows ? INT_MAX : s->next * d->comp[s->comp[i]].v);
    if (s->next < s->rows) return 0;
    s->done = 1;
    // Every byte of the scan's data used (libjpeg warns of "extraneous bytes before marker").
    return kp_overran(r) || r->size - r->pos + (size_t)(r->bits / 8) != (size_t)r->fake ? -1 : 0;
}

// The iMCU row of `s`'s next step.
static int kp_imcu_row(const kp_decoder *d, const kp_scan *s) {
    return s->ns == 1 ? s->next / d->comp[s->comp[0]].v : s->next;
}

// A worker takes the scan furthest behind that may take a step (the first in file order among
// equals), goes on with it while it may (up to KP_RUN steps), then looks again. Any worker runs
// any scan, so scans held back by the window never keep a worker from the one everything waits
// for, and the long scans — the last refinements, which set the output's pace — are served first.
static void *kp_worker(void *argument) {
    kp_decoder *d = argument;
    pthread_mutex_lock(&d->lock);
    while (d->scans_left > 0 && !atomic_load(&d->failed)) {
        kp_scan *s = NULL;
        for (int i = 0; i < d->nscans; i++) {
            kp_scan *candidate = &d->scans[i];
            if (candidate->busy || candidate->done || (s && kp_imcu_row(d, candidate) >= kp_imcu_row(d, s))) continue;
            if (kp_ready(d, candidate)) s = candidate;
        }
        if (!s) {
            pthread_cond_wait(&d->moved, &d->lock);
            continue;
        }
        s->busy = 1;
        pthread_mutex_unlock(&d->lock);
        int status = 0;
        for (int steps = 0; steps < KP_RUN && status == 0 && !s->done && kp_ready(d, s); steps++) {
            if (atomic_load_explicit(&d->failed, memory_order_relaxed)) break;
            status = kp_scan_step(d, s);
        }
        if (s->done || status != 0) kp_release_input(s->data, s->size);
        pthread_mutex_lock(&d->lock);
        s->busy = 0;
        if (status != 0) atomic_store(&d->failed, 1);
        else if (s->done) d->scans_left--;
        pthread_cond_broadcast(&d->moved);
    }
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

// --- IDCT (jidctint.c's accurate integer arithmetic) ---------------------------------------------
//
// The same arithmetic as jpeg_idct_islow, in 32 bits (libjpeg's own SIMD versions work in 16 and 32
// bits too; for the coefficients of 8-bit images nothing overflows), without its all-zero shortcuts
// (they give the same values), so that each pass is one operation across 8 lanes: columns in the
// first pass, rows in the second. Unsigned arithmetic: a hostile file's extreme coefficients wrap
// instead of being undefined behaviour. Built for AVX2 where the CPU has it (chosen at load time).

typedef uint32_t kp_u32;
#define KP_CONST_BITS 13
#define KP_PASS1_BITS 2
#define KP_LANES for (int l = 0; l < 8; l++)
#define KP_DESCALE(x, n) ((int32_t)((x) + (1u << ((n) - 1))) >> (n))

// One 1-D IDCT across 8 lanes: in[k][lane] → out[k][lane] (descaled by `shift`, plus `bias`).
static inline __attribute__((always_inline)) void kp_idct_1d(kp_u32 in[8][8], int32_t out[8][8], int shift) {
    kp_u32 tmp0[8], tmp1[8], tmp2[8], tmp3[8], tmp10[8], tmp11[8], tmp12[8], tmp13[8];
    KP_LANES {
        kp_u32 z2 = in[2][l], z3 = in[6][l];
        kp_u32 z1 = (z2 + z3) * 4433u;
        tmp2[l] = z1 + z3 * (kp_u32)-15137;
        tmp3[l] = z1 + z2 * 6270u;
        z2 = in[0][l];
        z3 = in[4][l];
        tmp0[l] = (z2 + z3) << KP_CONST_BITS;
        tmp1[l] = (z2 - z3) << KP_CONST_BITS;
        tmp10[l] = tmp0[l] + tmp3[l];
        tmp13[l] = tmp0[l] - tmp3[l];
        tmp11[l] = tmp1[l] + tmp2[l];
        tmp12[l] = tmp1[l] - tmp2[l];
    }
    KP_LANES {
        kp_u32 t0 = in[7][l], t1 = in[5][l], t2 = in[3][l], t3 = in[1][l];
        kp_u32 z1 = t0 + t3, z2 = t1 + t2, z3 = t0 + t2, z4 = t1 + t3;
        kp_u32 z5 = (z3 + z4) * 9633u;
        t0 *= 2446u;
        t1 *= 16819u;
        t2 *= 25172u;
        t3 *= 12299u;
        z1 *= (kp_u32)-7373;
        z2 *= (kp_u32)-20995;
        z3 = z3 * (kp_u32)-16069 + z5;
        z4 = z4 * (kp_u32)-3196 + z5;
        t0 += z1 + z3;
        t1 += z2 + z4;
        t2 += z2 + z3;
        t3 += z1 + z4;
        out[0][l] = KP_DESCALE(tmp10[l] + t3, shift);
        out[7][l] = KP_DESCALE(tmp10[l] - t3, shift);
        out[1][l] = KP_DESCALE(tmp11[l] + t2, shift);
        out[6][l] = KP_DESCALE(tmp11[l] - t2, shift);
        out[2][l] = KP_DESCALE(tmp12[l] + t1, shift);
        out[5][l] = KP_DESCALE(tmp12[l] - t1, shift);
        out[3][l] = KP_DESCALE(tmp13[l] + t0, shift);
        out[4][l] = KP_DESCALE(tmp13[l] - t0, shift);
    }
}

// `count` blocks (64 coefficients each, natural order) dequantised by `q` and transformed into
// 8 rows of `count` × 8 samples at `out`, rows `stride` apart. Returns nonzero when a dequantised
// coefficient falls outside 16 bits: no valid 8-bit JPEG has one (its DCT values fit in 12 bits),
// and libjpeg's SIMD IDCT, which multiplies in 16 bits, would give other samples for it.
__attribute__((target_clones("avx2", "default")))
static int kp_idct_row(const int16_t *blocks, int count, const uint16_t *q, uint8_t *out, ptrdiff_t stride) {
    kp_u32 outside = 0;
    for (int b = 0; b < count; b++) {
        const int16_t *in = blocks + (size_t)b * 64;
        kp_u32 x[8][8];
        int32_t w[8][8];
        for (int r = 0; r < 8; r++) KP_LANES {
            x[r][l] = (kp_u32)((int32_t)in[r * 8 + l] * (int32_t)q[r * 8 + l]);
            outside |= (x[r][l] + 32768u) >> 16;
        }
        kp_idct_1d(x, w, KP_CONST_BITS - KP_PASS1_BITS);  // w[row][column]
        for (int k = 0; k < 8; k++) KP_LANES x[k][l] = (kp_u32)w[l][k];  // transposed: x[column][row]
        kp_idct_1d(x, w, KP_CONST_BITS + KP_PASS1_BITS + 3);  // w[column][row]
        for (int r = 0; r < 8; r++) {
            uint8_t *o = out + r * stride + b * 8;
            for (int k = 0; k < 8; k++) {
                int32_t v = w[k][r] + 128;
                o[k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        }
    }
    return outside != 0;
}

// --- The whole decode ---------------------------------------------------------------------------

static void kp_free(kp_decoder *d) {
    for (int i = 0; i < 3; i++) if (d->comp[i].coef) munmap(d->comp[i].coef, d->comp[i].coef_bytes);
    for (int i = 0; i < d->ntables; i++) free(d->tables[i]);
    free(d->scans);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->moved);
    free(d);
}

int kimi_jpeg_progressive_planes(const uint8_t *data, size_t size, int threads, uint8_t *const *planes, const int *strides,
                                 const int *heights, const int *ring_rows, void *context, void (*progress)(void *context, int imcu_rows)) {
    kp_decoder *d = calloc(1, sizeof *d);
    if (!d) return -2;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->moved, NULL);
    d->scans = calloc(KP_MAX_SCANS, sizeof *d->scans);
    if (!d->scans || kp_parse(d, data, size) != 0) {
        kp_free(d);
        return -2;
    }
    // The caller's planes are laid out by libjpeg (kimi_jpeg_plane_layout): whole blocks up to the
    // stride; the stride never reaches past the blocks stored.
    for (int i = 0; i < d->ncomp; i++) {
        if (strides[i] % 8 != 0 || strides[i] / 8 > d->comp[i].bw) {
            kp_free(d);
            return -2;
        }
    }
    int widest = 0;
    for (int i = 0; i < d->ncomp; i++) if (strides[i] > widest) widest = strides[i];
    uint8_t *scratch = malloc((size_t)widest * 8);
    if (!scratch) {
        kp_free(d);
        return -2;
    }
    for (int i = 0; i < d->nscans; i++) {
        kp_scan *sc = &d->scans[i];
        sc->rows = sc->ns == 1 ? d->comp[sc->comp[0]].ch : d->mcus_y;
        sc->left = sc->restart;
        sc->bits = (kp_bits){sc->data, sc->size, 0, 0, 0, 0, 0};
    }
    d->scans_left = d->nscans;
    atomic_store(&d->window, KP_WINDOW);
    // Scan workers: one per core given. No worker waits inside a scan (it takes another that may
    // go on), so more would only crowd the cores: on two cores, 4 workers took 1.04–1.12x the time
    // 2 did (24 MP, 4:4:4 and 4:2:0). When none may go on, they block, not spin.
    int workers = threads < 1 ? 1 : threads > 8 ? 8 : threads, started = 0;
    pthread_t ids[8];
    for (int i = 0; i < workers; i++) {
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setstacksize(&attributes, 256 * 1024);
        if (pthread_create(&ids[started], &attributes, kp_worker, d) == 0) started++;
        pthread_attr_destroy(&attributes);
    }
    if (started == 0) {
        // No worker thread: this thread runs every scan first, so nothing may wait for the output.
        atomic_store(&d->window, INT_MAX / 2);
        kp_worker(d);
    }
    // Output, on this thread, behind the scans: each iMCU row once every scan is past it, every
    // component's blocks through the IDCT into its plane, its coefficients then returned.
    int written = 0;
    for (int m = 0; m < d->mcus_y && !atomic_load(&d->failed); m++) {
        for (int i = 0; i < d->ncomp; i++) kp_wait_all(d, i, (m + 1) * d->comp[i].v);
        if (atomic_load(&d->failed)) break;
        for (int i = 0; i < d->ncomp; i++) {
            kp_component *c = &d->comp[i];
            for (int y = 0; y < c->v; y++) {
                int by = m * c->v + y;
                // 8 sample rows of this block row: where the plane keeps them, else scratch.
                long first = (long)by * 8;
                int whole = first + 8 <= heights[i] && (ring_rows[i] == 0 || first % ring_rows[i] + 8 <= ring_rows[i]);
                uint8_t *target = whole ? planes[i] + (ring_rows[i] > 0 ? first % ring_rows[i] : first) * strides[i] : scratch;
                const int16_t *blocks = c->coef + (size_t)by * (size_t)c->bw * 64;
                if (kp_idct_row(blocks, strides[i] / 8, c->quant, target, strides[i])) {
                    atomic_store(&d->failed, 1);
                    break;
                }
                kp_release_coefficients(c, (size_t)(by + 1) * (size_t)c->bw * 64 * sizeof(int16_t));
                if (!whole) {
                    for (int r = 0; r < 8; r++) {
                        long row = first + r;
                        if (row >= heights[i]) break;
                        long slot = ring_rows[i] > 0 ? row % ring_rows[i] : row;
                        memcpy(planes[i] + slot * strides[i], scratch + (size_t)r * (size_t)strides[i], (size_t)strides[i]);
                    }
                }
            }
        }
        if (atomic_load(&d->failed)) {
            // Wake the scans waiting on one another: they stop.
            pthread_mutex_lock(&d->lock);
            pthread_cond_broadcast(&d->moved);
            pthread_mutex_unlock(&d->lock);
            break;
        }
        written = m + 1;
        // The scans held back by the window may go on.
        pthread_mutex_lock(&d->lock);
        atomic_store_explicit(&d->written, written, memory_order_release);
        pthread_cond_broadcast(&d->moved);
        pthread_mutex_unlock(&d->lock);
        if (progress) progress(context, m + 1);
    }
    for (int i = 0; i < started; i++) pthread_join(ids[i], NULL);
    if (atomic_load(&d->failed)) {
        // Damage found: nothing written yet, libjpeg takes the file; rows already handed on, the
        // caller starts again (its usual path, with libjpeg's warnings).
        free(scratch);
        kp_free(d);
        return written == 0 ? -2 : -1;
    }
    free(scratch);
    kp_free(d);
    return 0;
}
