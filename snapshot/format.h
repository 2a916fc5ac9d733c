/* SPDX-License-Identifier: GPL-2.0-only */
/* Private to snapshot/format.c and snapshot/decode.c: the on-disk layout. */
#ifndef SNAPSHOT_FORMAT_H
#define SNAPSHOT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SNAP_MAGIC "MFSNAP\r\n"
#define FILE_HDR 16
#define SECT_HDR 32
#define ENC_STORED 0
#define ENC_ZSTD 1
#define ZSTD_LEVEL 1

enum sect_kind { SK_TEXT, SK_U64, SK_PROC, SK_PMAP, SK_RANGES, SK_END };

struct sect_desc {
	char tag[5];
	const char *what;
	enum sect_kind kind;
	size_t field; /* offsetof the char * or uint64_t * in struct snapshot */
};
extern const struct sect_desc snap_sects[];
extern const size_t snap_nr_sects;

int snap_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline void put16(uint8_t *p, uint16_t v) { p[0] = v, p[1] = v >> 8; }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, v), put16(p + 2, v >> 16); }
static inline void put64(uint8_t *p, uint64_t v) { put32(p, v), put32(p + 4, v >> 32); }
static inline uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static inline uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }
static inline uint64_t get64(const uint8_t *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }
#endif
