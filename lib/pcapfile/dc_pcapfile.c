/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dc_err.h"
#include "dc_mem.h"
#include "dc_pcapfile.h"

/* The file header (24 bytes) and each record's header (16 bytes), as the
 * libpcap file format defines them. */
#define HDR_LEN 24
#define REC_LEN 16
#define MAGIC_US 0xa1b2c3d4u
#define MAGIC_NS 0xa1b23c4du
#define LINKTYPE_ETHERNET 1

struct dc_pcapfile {
	int fd;
	bool swap;          /* the current file's byte order is not ours */
	bool nsec;          /* the first file's time stamps are nanoseconds */
	bool eof;           /* read(2) returned 0 */
	bool ended;         /* dc_pcapfile_next() returned 0 for good */
	int failed;         /* err is set (release-stored after err) */
	uint8_t *buf;
	size_t cap;
	size_t head, tail;  /* unread bytes: buf[head .. tail) */
	uint64_t off;       /* the current file's offset of buf[0] */
	uint64_t records;
	uint64_t base;      /* records before the current file */
	bool is_stdin;
	unsigned nfiles, cur; /* files to read in turn, the one being read */
	char **files;       /* their paths ("standard input" for "-") */
	const char *path;   /* files[cur] */
	char err[320];
};

static inline uint32_t
rd32(const struct dc_pcapfile *f, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return f->swap ? __builtin_bswap32(v) : v;
}

/* Move the unread bytes to the front and read until the buffer is full or
 * the file ends. 0, or -1 on a read error (errno). */
static int
fill(struct dc_pcapfile *f)
{
	size_t left = f->tail - f->head;

	if (f->head) {
		memmove(f->buf, f->buf + f->head, left);
		f->off += f->head;
		f->head = 0;
		f->tail = left;
	}
	while (!f->eof && f->tail < f->cap) {
		ssize_t r = read(f->fd, f->buf + f->tail, f->cap - f->tail);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			f->eof = true;
		f->tail += (size_t)r;
	}
	return 0;
}

static void
fail(struct dc_pcapfile *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
fail(struct dc_pcapfile *f, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(f->err, sizeof(f->err), "%s: ", f->path);

	if (n < 0 || (size_t)n >= sizeof(f->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(f->err + n, sizeof(f->err) - (size_t)n, fmt, ap);
	va_end(ap);
	f->ended = true;
	__atomic_store_n(&f->failed, 1, __ATOMIC_RELEASE);
}

/* What a file that is not pcap looks like, for the error message. */
static const char *
not_pcap(const uint8_t *b, size_t n)
{
	static const struct {
		uint8_t len, magic[4];
		const char *what;
	} kinds[] = {
		{4, {0x0a, 0x0d, 0x0d, 0x0a}, "a pcapng file, not pcap: convert it (editcap -F pcap IN OUT, or tcpdump -r IN -w OUT)"},
		{2, {0x1f, 0x8b}, "gzip-compressed: decompress it, or pipe it (zcat FILE | darkcap ... --read -)"},
		{4, {0x28, 0xb5, 0x2f, 0xfd}, "zstd-compressed: decompress it, or pipe it (zstdcat FILE | darkcap ... --read -)"},
		{4, {0xfd, 0x37, 0x7a, 0x58}, "xz-compressed: decompress it, or pipe it (xzcat FILE | darkcap ... --read -)"},
		{3, {'B', 'Z', 'h'}, "bzip2-compressed: decompress it, or pipe it (bzcat FILE | darkcap ... --read -)"},
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (n >= kinds[i].len && memcmp(b, kinds[i].magic, kinds[i].len) == 0)
			return kinds[i].what;
	return NULL;
}

static const char *
linktype_name(uint32_t lt)
{
	switch (lt) {
	case 0: return "BSD loopback";
	case 12: case 14: case 101: return "raw IP";
	case 113: return "Linux cooked (SLL)";
	case 127: return "802.11 radiotap";
	case 276: return "Linux cooked v2 (SLL2)";
	default: return "unknown";
	}
}

/* Open @p path ("-": standard input); -1 with dc_strerror(). */
static int
open_one(const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = dup(STDIN_FILENO);
		if (fd < 0)
			return dc_err(errno, "read -: standard input: %s", strerror(errno));
		return fd;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return dc_err(errno, "read %s: cannot open: %s", path, strerror(errno));
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return fd;
}

/* Check the file header in @p b (@p n bytes read, all of the file when
 * fewer than 24): 0 and the byte order and precision, or -1 with
 * dc_strerror() naming @p path. */
static int
check_header(const char *path, const uint8_t *b, size_t n, bool *swap, bool *nsec)
{
	const char *what = not_pcap(b, n);
	uint32_t magic, lt;
	uint16_t major;

	if (n < HDR_LEN) {
		if (n == 0)
			return dc_err(EINVAL, "read %s: empty: no pcap file header", path);
		if (what)
			return dc_err(EINVAL, "read %s: %s", path, what);
		return dc_err(EINVAL, "read %s: %zu bytes, too short for a pcap file header (24)", path, n);
	}
	memcpy(&magic, b, 4);
	if (magic == MAGIC_US || magic == MAGIC_NS) {
		*swap = false;
	} else if (__builtin_bswap32(magic) == MAGIC_US || __builtin_bswap32(magic) == MAGIC_NS) {
		*swap = true;
		magic = __builtin_bswap32(magic);
	} else {
		if (what)
			return dc_err(EINVAL, "read %s: %s", path, what);
		return dc_err(EINVAL, "read %s: not a pcap file (magic 0x%08x)", path, magic);
	}
	*nsec = magic == MAGIC_NS;
	memcpy(&major, b + 4, 2);
	memcpy(&lt, b + 20, 4);
	if (*swap) {
		major = __builtin_bswap16(major);
		lt = __builtin_bswap32(lt);
	}
	lt &= 0xFFFF; /* the upper bits carry FCS information */
	if (major != 2)
		return dc_err(EINVAL, "read %s: pcap format version %u, not 2", path, major);
	if (lt != LINKTYPE_ETHERNET)
		return dc_err(ENOTSUP, "read %s: link type %u (%s): darkcap reads Ethernet captures (link type 1)",
			      path, lt, linktype_name(lt));
	return 0;
}

/* Start reading file @p i: open it, fill the buffer, check its header.
 * -1 with dc_strerror(). */
static int
start_file(struct dc_pcapfile *f, unsigned i)
{
	bool nsec;

	if (f->fd >= 0)
		close(f->fd);
	f->cur = i;
	f->path = f->files[i];
	f->fd = open_one(f->is_stdin ? "-" : f->path);
	if (f->fd < 0)
		return -1;
	f->head = f->tail = 0;
	f->off = 0;
	f->eof = false;
	if (fill(f) != 0)
		return dc_err(errno, "read %s: %s", f->path, strerror(errno));
	if (check_header(f->path, f->buf, f->tail, &f->swap, &nsec) != 0)
		return -1;
	if (i == 0)
		f->nsec = nsec;
	f->head = HDR_LEN;
	f->base = f->records;
	return 0;
}

struct dc_pcapfile *
dc_pcapfile_open(const char *paths, size_t bufsize)
{
	size_t min = 2 * (DC_PCAPFILE_MAX_CAPLEN + REC_LEN);
	struct dc_pcapfile *f = dc_calloc(1, sizeof(*f));
	const char *p = paths;

	f->fd = -1;
	/* the list: comma-separated, read in this order */
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char *one = dc_malloc(n + 1);

		memcpy(one, p, n);
		one[n] = 0;
		f->files = dc_realloc(f->files, (f->nfiles + 1) * sizeof(f->files[0]));
		f->files[f->nfiles++] = one;
		if (n == 0) {
			dc_pcapfile_close(f);
			return dc_err_ptr(EINVAL, "read %s: an empty file name in the list", paths);
		}
		if (e == NULL)
			break;
		p = e + 1;
	}
	for (unsigned i = 0; i < f->nfiles; i++)
		if (strcmp(f->files[i], "-") == 0) {
			if (f->nfiles > 1) {
				dc_pcapfile_close(f);
				return dc_err_ptr(EINVAL, "read %s: standard input (-) is read alone, not in a list", paths);
			}
			dc_free(f->files[i]);
			f->files[i] = dc_strdup("standard input");
			f->is_stdin = true;
		}
	/* Every file's header now, so that a bad one is refused at start,
	 * not hours into the run. */
	for (unsigned i = 1; i < f->nfiles; i++) {
		uint8_t b[HDR_LEN];
		bool swap, nsec;
		int fd = open_one(f->files[i]);
		ssize_t n;

		if (fd < 0) {
			dc_pcapfile_close(f);
			return NULL;
		}
		n = read(fd, b, sizeof(b));
		close(fd);
		if (n < 0) {
			dc_err(errno, "read %s: %s", f->files[i], strerror(errno));
			dc_pcapfile_close(f);
			return NULL;
		}
		if (check_header(f->files[i], b, (size_t)n, &swap, &nsec) != 0) {
			dc_pcapfile_close(f);
			return NULL;
		}
	}
	f->cap = bufsize ? bufsize : DC_PCAPFILE_BUF;
	if (f->cap < min)
		f->cap = min;
	f->buf = dc_malloc(f->cap);
	if (start_file(f, 0) != 0) {
		dc_pcapfile_close(f);
		return NULL;
	}
	return f;
}

/* The record at the head is not whole in the buffer. */
static inline bool
next_incomplete(const struct dc_pcapfile *f)
{
	size_t avail = f->tail - f->head;

	return avail < REC_LEN || avail < REC_LEN + (size_t)rd32(f, f->buf + f->head + 8);
}

unsigned
dc_pcapfile_next(struct dc_pcapfile *f, unsigned n, const uint8_t **frames, uint32_t *caplens,
		 uint32_t *secs)
{
	unsigned got = 0;

	if (f->ended)
		return 0;
	/* Refill only here, before any frame of this call is handed out: the
	 * previous call's frames are done with; and only when the next record
	 * is not whole in the buffer (what is moved to its start is then at
	 * most one record). After a fill that did not reach the end of the
	 * file, the next record is whole (the buffer holds the largest). */
	if (!f->eof && next_incomplete(f) && fill(f) != 0) {
		fail(f, "read error at byte %llu: %s",
		     (unsigned long long)(f->off + f->tail), strerror(errno));
		return 0;
	}
	while (got < n) {
		const uint8_t *r = f->buf + f->head;
		size_t avail = f->tail - f->head;
		uint32_t caplen;

		if (avail < REC_LEN)
			break;
		caplen = rd32(f, r + 8);
		if (caplen > DC_PCAPFILE_MAX_CAPLEN) {
			fail(f, "record %llu at byte %llu: captured length %u is over %u: damaged file",
			     (unsigned long long)(f->records - f->base + got + 1),
			     (unsigned long long)(f->off + f->head), caplen, DC_PCAPFILE_MAX_CAPLEN);
			break;
		}
		if (avail < REC_LEN + caplen)
			break;
		frames[got] = r + REC_LEN;
		caplens[got] = caplen;
		secs[got] = rd32(f, r);
		got++;
		f->head += REC_LEN + caplen;
	}
	if (got) {
		__atomic_store_n(&f->records, f->records + got, __ATOMIC_RELAXED);
		return got;
	}
	if (!f->ended && f->eof && f->tail == f->head && f->cur + 1 < f->nfiles) {
		/* this file's clean end: the next one (its header was checked
		 * at open; a file changed since fails here, naming it) */
		if (start_file(f, f->cur + 1) != 0) {
			snprintf(f->err, sizeof(f->err), "%s", dc_strerror());
			f->ended = true;
			__atomic_store_n(&f->failed, 1, __ATOMIC_RELEASE);
			return 0;
		}
		return dc_pcapfile_next(f, n, frames, caplens, secs);
	}
	if (!f->ended && f->eof) {
		size_t avail = f->tail - f->head;

		if (avail && avail < REC_LEN)
			fail(f, "truncated: the file ends inside the header of record %llu (byte %llu): %zu of its 16 bytes",
			     (unsigned long long)(f->records - f->base + 1), (unsigned long long)(f->off + f->head), avail);
		else if (avail)
			fail(f, "truncated: the file ends inside record %llu (byte %llu): %zu of its %llu bytes",
			     (unsigned long long)(f->records - f->base + 1), (unsigned long long)(f->off + f->head), avail,
			     (unsigned long long)REC_LEN + rd32(f, f->buf + f->head + 8));
		f->ended = true;
	}
	return 0;
}

uint64_t
dc_pcapfile_records(const struct dc_pcapfile *f)
{
	return __atomic_load_n(&f->records, __ATOMIC_RELAXED);
}

const char *
dc_pcapfile_error(const struct dc_pcapfile *f)
{
	return __atomic_load_n(&f->failed, __ATOMIC_ACQUIRE) ? f->err : NULL;
}

const char *
dc_pcapfile_path(const struct dc_pcapfile *f)
{
	return f->files[0];
}

unsigned
dc_pcapfile_count(const struct dc_pcapfile *f)
{
	return f->nfiles;
}

bool
dc_pcapfile_nanosecond(const struct dc_pcapfile *f)
{
	return f->nsec;
}

void
dc_pcapfile_close(struct dc_pcapfile *f)
{
	if (f == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	for (unsigned i = 0; i < f->nfiles; i++)
		dc_free(f->files[i]);
	dc_free(f->files);
	dc_free(f->buf);
	dc_free(f);
}
