/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Reading a capture file without a driver: the classic pcap format (the
 * libpcap file format: microsecond or nanosecond time stamps, either byte
 * order), Ethernet link type, from a file or a pipe. The file is read in
 * large chunks (read(2) of a few MiB) into one buffer allocated at open;
 * records are handed out in bursts as pointers into it, with no copy and no
 * allocation, so a worker reads a file as it polls a queue.
 *
 * Errors follow dc_err.h: open returns NULL with a one-line message naming
 * the file; a damaged record ends the input, and dc_pcapfile_error() then
 * says what and where (byte offset), so the caller can count and report it.
 */
#ifndef DC_PCAPFILE_H
#define DC_PCAPFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest captured length accepted in a record (libpcap's own bound). */
#define DC_PCAPFILE_MAX_CAPLEN 262144u
/** Default read buffer: records are handed out from it, refilled when the
 * next record is not whole in it (reads of 0.75-1 MiB: one system call per
 * ~8,000 small records, and what was read is still in the core's L2/L3
 * when the worker parses it). */
#define DC_PCAPFILE_BUF (1u << 20)

struct dc_pcapfile;

/**
 * Open pcap files and check their headers.
 *
 * @param path
 *   The file, or several separated by commas, read one after the other as
 *   one input (a day's hourly files, in time order), or "-" alone for
 *   standard input (a pipe: `zcat x.pcap.gz | ...`). Every file's header is
 *   checked here.
 * @param bufsize
 *   Read buffer bytes (0: DC_PCAPFILE_BUF; at least twice
 *   DC_PCAPFILE_MAX_CAPLEN plus a record header is used).
 * @return
 *   The reader, or NULL (dc_strerror(): cannot open, empty, pcapng or
 *   compressed rather than pcap, not a pcap file, another link type than
 *   Ethernet).
 */
struct dc_pcapfile *dc_pcapfile_open(const char *path, size_t bufsize);

/**
 * The next records, at most @p n. Frames point into the reader's buffer and
 * stay valid until the next call.
 *
 * @param frames
 *   Each record's first captured byte.
 * @param caplens
 *   Captured bytes of each.
 * @param secs
 *   Each record's time stamp, Unix seconds.
 * @return
 *   Records given (0 < r <= n), or 0: the input has ended, at its end or at
 *   a damaged record (dc_pcapfile_error()).
 */
unsigned dc_pcapfile_next(struct dc_pcapfile *f, unsigned n, const uint8_t **frames,
			  uint32_t *caplens, uint32_t *secs);

/** Records handed out so far (may be read from another thread). */
uint64_t dc_pcapfile_records(const struct dc_pcapfile *f);

/** Why the input ended early (a truncated or damaged record, a read error),
 * or NULL: it ended at a clean end of file, or has not ended. May be read
 * from another thread once dc_pcapfile_next() has returned 0. */
const char *dc_pcapfile_error(const struct dc_pcapfile *f);

/** The first file given to dc_pcapfile_open() ("standard input" for "-"). */
const char *dc_pcapfile_path(const struct dc_pcapfile *f);

/** Files in the list given to dc_pcapfile_open(). */
unsigned dc_pcapfile_count(const struct dc_pcapfile *f);

/** Whether the first file's time stamps are in nanoseconds (magic 0xa1b23c4d). */
bool dc_pcapfile_nanosecond(const struct dc_pcapfile *f);

/** Close the file and free the reader (NULL is ignored). */
void dc_pcapfile_close(struct dc_pcapfile *f);

#ifdef __cplusplus
}
#endif

#endif /* DC_PCAPFILE_H */
