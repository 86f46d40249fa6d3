/* Packet parsing: pure functions from packet bytes to match keys. Data
 * plane: no globals, no allocation, every length checked before it is used.
 *
 *   cp_parse_l2l4()        Ethernet (<= 2 VLAN tags), IPv4/IPv6, TCP/UDP/ICMP
 *   cp_parse_dns_query()   the question name of a DNS query (UDP, or TCP
 *                          after cp_parse_dns_tcp() strips the length prefix)
 *   cp_parse_tls_hello()   SNI and JA3 of a TLS ClientHello
 *   cp_parse_http_request() Host and request target of an HTTP/1.x request
 *
 * The L7 parsers say one of: a key was found (OK), there is nothing to find
 * (NONE: a DNS response, a ServerHello, a non-HTTP payload), the message
 * continues past these bytes (PARTIAL: counted as uninspected, never passed
 * silently), or the bytes break the protocol (BAD, with the anomaly).
 */
#ifndef CP_PARSE_H
#define CP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Why a packet could not be parsed further; counted per kind. */
enum cp_anomaly {
	CP_AN_NONE = 0,
	CP_AN_L2_TRUNC,        /* shorter than its Ethernet/VLAN headers */
	CP_AN_VLAN_DEPTH,      /* more than CP_PARSE_MAX_VLAN tags */
	CP_AN_IP4_TRUNC,       /* header or total length past the frame */
	CP_AN_IP4_HDR,         /* version or IHL invalid */
	CP_AN_IP6_TRUNC,
	CP_AN_IP6_EXT_DEPTH,   /* more than CP_PARSE_MAX_IP6_EXT extension headers */
	CP_AN_L4_TRUNC,        /* TCP/UDP/SCTP/ICMP header past the IP payload, or bad offsets */
	CP_AN_DNS_TRUNC,       /* the question runs past the message */
	CP_AN_DNS_POINTER,     /* a compression pointer that is forward or loops */
	CP_AN_DNS_LIMIT,       /* label > 63, name > 255 bytes or > 127 labels */
	CP_AN_DNS_LABEL,       /* reserved label type, or a '.' or NUL inside a label */
	CP_AN_TLS_LENGTH,      /* a record, handshake, list or extension length that lies */
	CP_AN_HTTP_SYNTAX,
	CP_AN_QUIC_FRAME,      /* a QUIC Initial's frames past its payload, or not allowed there */     /* a request line or Host header that breaks HTTP/1.x */
	CP_AN__COUNT
};

const char *cp_anomaly_name(enum cp_anomaly a);

enum cp_l7 { CP_L7_OK, CP_L7_NONE, CP_L7_PARTIAL, CP_L7_BAD };

#define CP_PARSE_MAX_VLAN 2
/* RFC 8200 allows each extension header once (Destination Options twice);
 * 8 covers every legitimate chain. */
#define CP_PARSE_MAX_IP6_EXT 8

enum cp_frag { CP_FRAG_NONE, CP_FRAG_FIRST, CP_FRAG_LATER };

struct cp_pkt {
	uint8_t family;        /* 4 or 6; 0: not IP (nothing to match) */
	uint8_t proto;         /* IPPROTO_* of the L4 header; 0 with no L4 */
	uint8_t frag;          /* enum cp_frag: later fragments carry no L4 */
	uint8_t vlans;
	/* Host order: TCP, UDP and SCTP ports; ICMP and ICMPv6 type and code;
	 * 0 for other protocols and later fragments. */
	uint16_t sport, dport;
	uint32_t l3_off;
	uint32_t pay_off;      /* L4 payload, inside the IP packet's length */
	uint32_t pay_len;
	uint8_t src[16];       /* network order; IPv4 in the first 4 bytes */
	uint8_t dst[16];
};

/* Parses len bytes of an Ethernet frame. Returns CP_AN_NONE (p filled; a
 * non-IP frame has family 0) or the anomaly that stopped it; the fields
 * before the failing layer stay valid (family is set once the IP header was
 * read, so IP indicators still match a packet whose L4 is broken). */
enum cp_anomaly cp_parse_l2l4(const uint8_t *frame, uint32_t len, struct cp_pkt *p);

/* DNS over TCP: the message after the 2-byte length prefix. PARTIAL when the
 * message continues past len. */
enum cp_l7 cp_parse_dns_tcp(const uint8_t *pay, size_t len, const uint8_t **msg,
			    size_t *msg_len);

/* The first question's name of a DNS query, dotted, into out (at least
 * CP_DNS_NAME_MAX + 1 bytes, NUL-terminated); *n its length. NONE for a
 * response, another opcode, no question, or the root name. *canon is 1 when
 * the name is canonical as it stands (lower-case letters, digits, '-' and
 * '_' between its dots: cp_norm_domain_inplace would leave it unchanged),
 * so the fast path need not normalise it again; 0 otherwise. */
#define CP_DNS_NAME_MAX 253
enum cp_l7 cp_parse_dns_query(const uint8_t *msg, size_t len, char *out, size_t *n, int *canon,
			      enum cp_anomaly *why);

struct cp_tls_hello {
	/* The server name where the hello holds it (not NUL-terminated), or
	 * NULL with sni_len 0. Not copied out: a copy (a libc call a hello)
	 * was ~3 % of a TLS packet's time, and the caller copies it anyway. */
	const char *sni;
	uint16_t sni_len;      /* < 256 */
	uint8_t ja3[16];       /* MD5 of the JA3 string */
	char ja3_hex[33];
};

/* A TLS record carrying a ClientHello at the start of a TCP payload. */
enum cp_l7 cp_parse_tls_hello(const uint8_t *pay, size_t len, struct cp_tls_hello *h,
			      enum cp_anomaly *why);
/* The same, with the JA3 only when want_ja3 (else ja3 and ja3_hex stay
 * zero): building and hashing it is ~1/3 of the parse, wasted on a set
 * that holds no JA3. Every length is checked either way. */
enum cp_l7 cp_parse_tls_hello_ja3(const uint8_t *pay, size_t len, struct cp_tls_hello *h,
				  int want_ja3, enum cp_anomaly *why);

struct cp_http_req {
	char host[256];        /* the Host header, port included; NUL-terminated */
	uint16_t host_len;
	char url[2048];        /* http://HOST/target, NUL-terminated */
	uint16_t url_len;      /* 0 when the target was too long to keep */
};

/* An HTTP/1.x request at the start of a TCP payload: PARTIAL while the
 * request line or the headers continue past len without a Host. */
enum cp_l7 cp_parse_http_request(const uint8_t *pay, size_t len, struct cp_http_req *r,
				 enum cp_anomaly *why);

/* Whether a UDP payload is shaped as a QUIC v1 client Initial: a long
 * header of type Initial and version 1, in a datagram of at least 1200
 * bytes (what a client pads its Initials to), with a DCID of at most 20
 * bytes, given in *dcid and *dcid_len. Reads 26 bytes at most: the cheap
 * test before any key is derived. */
int cp_quic_initial_dcid(const uint8_t *pay, size_t len, const uint8_t **dcid,
			 unsigned *dcid_len);

/* QUIC v1 client Initials. The keys anyone can derive from a packet's
 * Destination Connection ID (RFC 9001 §5.2). */
struct cp_quic_keys {
	uint8_t key[16], iv[12], hp[16];
};
void cp_quic_client_keys(const uint8_t *dcid, size_t dcid_len, struct cp_quic_keys *k);

/* The ClientHello two Initials can hold (an ML-KEM-768 key share alone is
 * 1184 bytes, more than one Initial leaves for it), and a packet's
 * plaintext. */
#define CP_QUIC_HELLO_MAX 4096
#define CP_QUIC_PLAIN_MAX 2048
/* One client's CRYPTO stream so far, by its Destination Connection ID: the
 * Initials of one hello share it, so a hello in two packets is put back
 * together across calls. Zeroed or with dcid_len 0xff: empty. */
struct cp_quic {
	uint8_t plain[CP_QUIC_PLAIN_MAX];       /* the opened payload */
	uint8_t hello[5 + CP_QUIC_HELLO_MAX];   /* a TLS record header, then the hello */
	uint64_t seen[CP_QUIC_HELLO_MAX / 64];  /* which hello bytes the CRYPTO frames gave */
	uint8_t dcid[20];
	uint8_t dcid_len;
};

/* The ClientHello of a QUIC v1 client Initial at the start of a UDP payload
 * (a datagram of at least 1200 bytes), parsed as cp_parse_tls_hello_ja3
 * does; h->sni points into q. The packet's CRYPTO bytes join those q holds
 * for the same DCID (bytes already given stay as they were: the first
 * wins, as a server keeps them), or start q anew for another DCID. NONE
 * when it is no v1 Initial, or its AEAD tag does not verify with the
 * client's keys (a server's packet, noise); PARTIAL while the hello still
 * lacks bytes that a next packet brings. */
enum cp_l7 cp_parse_quic_hello(const uint8_t *pay, size_t len, struct cp_quic *q,
			       struct cp_tls_hello *h, int want_ja3, enum cp_anomaly *why);

#endif
