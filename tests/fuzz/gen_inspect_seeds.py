#!/usr/bin/env python3
# Writes the fuzz_inspect seeds that reach each kind of indicator of its set
# (tests/fuzz/fuzz_inspect.c): CIDR hits and allowed CIDRs, v4 and v6, an
# exact and a subdomain name, a URL, the live changes, plus one burst of
# them all, and prints the JA3 of the frame-tls seed, which the set holds
# as its JA3 indicator.
#   python3 tests/fuzz/gen_inspect_seeds.py tests/fuzz/corpus/fuzz_inspect
# Each seed is frames, each after its 2-byte little-endian length.
import hashlib
import os
import socket
import struct
import sys

def eth(t): return bytes.fromhex('020000000001020000000002') + struct.pack('>H', t)
def ip4(src, dst, proto, pl):
    h = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(pl), 1, 0, 64, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return eth(0x0800) + h + pl
def ip6(src, dst, nh, pl):
    h = struct.pack('>IHBB16s16s', 6 << 28, len(pl), nh, 64,
                    socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))
    return eth(0x86dd) + h + pl
def udp(sp, dp, pl): return struct.pack('>HHHH', sp, dp, 8 + len(pl), 0) + pl
def tcp(sp, dp, pl): return struct.pack('>HHIIBBHHH', sp, dp, 1, 0, 0x50, 0x18, 0xffff, 0, 0) + pl
def dns(name):
    q = b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'
    return struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0) + q + struct.pack('>HH', 1, 1)
def http(host, path):
    return ('GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: x\r\n\r\n' % (path, host)).encode()
def rec(f): return struct.pack('<H', len(f)) + f
# What each should get from the set: see want[] in fuzz_inspect.c.
frames = {
    # /16 alert, /24 alert, Host, URL, the .php and GET patterns
 'frame-http-url': ip4('10.1.5.5', '192.0.2.9', 6, tcp(40000, 80, http('evil.example', '/x.php'))),
    # source in the allowed /24 inside the /16: no alert at all
 'frame-dns-allowed-cidr': ip4('10.1.2.3', '10.0.0.1', 17, udp(40000, 53, dns('a.sub.example'))),
    # *.sub.example drop two labels down, 10.0.0.1 drop
 'frame-dns-subdomain': ip4('192.0.2.1', '10.0.0.1', 17, udp(40000, 53, dns('a.b.sub.example'))),
    # the /48 alert, the v6 host drop, the exact name
 'frame-ip6-cidr': ip6('2001:db8:1::5', '2001:db8::1', 17, udp(40000, 53, dns('evil.example'))),
    # allowed /64 and allowed name: no alert at all
 'frame-ip6-allowed': ip6('2001:db8:1:2::5', '2001:db8::1', 17, udp(40000, 53, dns('ok.sub.example'))),
    # live changes (the second pass): a live /12 drop and *.live.example drop
 'frame-live-prefix': ip4('172.16.5.5', '10.0.0.1', 17, udp(40000, 53, dns('a.live.example'))),
    # a live allow /25 inside the store's alert /24: nothing in the live pass
 'frame-live-allowed': ip4('192.0.2.200', '198.51.100.7', 17, udp(40000, 53, dns('evil.example'))),
    # a live v6 /48 alert and host drop; a live add that has expired
 'frame-live-ip6': ip6('2001:db8:2::9', '2001:db8::2', 17, udp(40000, 53, dns('gone.example'))),
}
out = sys.argv[1]
for k, f in frames.items():
    open(os.path.join(out, k), 'wb').write(rec(f))
tls = open(os.path.join(out, 'frame-tls'), 'rb').read()
open(os.path.join(out, 'burst-mixed'), 'wb').write(b''.join(rec(f) for f in frames.values()) + tls)


def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def ja3(frame):
    """JA3 of the ClientHello in an Ethernet/IPv4/TCP frame, as Salesforce's
    ja3 defines it (GREASE values left out); computed apart from the engine
    so that the seed checks its JA3 code."""
    tcp_off = 14 + (frame[14] & 15) * 4
    p = frame[tcp_off + (frame[tcp_off + 12] >> 4) * 4:]
    b = p[9:]  # record header (5) and handshake header (4)
    ver, i = struct.unpack('>H', b[:2])[0], 34
    i += 1 + b[i]
    n = struct.unpack('>H', b[i:i + 2])[0]
    ciphers = [struct.unpack('>H', b[i + 2 + k:i + 4 + k])[0] for k in range(0, n, 2)]
    i += 2 + n
    i += 1 + b[i]
    end = i + 2 + struct.unpack('>H', b[i:i + 2])[0]
    i += 2
    exts, curves, points = [], [], []
    while i + 4 <= end:
        t, n = struct.unpack('>HH', b[i:i + 4])
        v = b[i + 4:i + 4 + n]
        i += 4 + n
        exts.append(t)
        if t == 10:
            curves = [struct.unpack('>H', v[2 + k:4 + k])[0] for k in range(0, v[1] | v[0] << 8, 2)]
        if t == 11:
            points = list(v[1:1 + v[0]])
    j = lambda xs: '-'.join(str(x) for x in xs if not grease(x))
    s = '%d,%s,%s,%s,%s' % (ver, j(ciphers), j(exts), j(curves), j(points))
    return s, hashlib.md5(s.encode()).hexdigest()


print('frame-tls JA3: %s = %s' % ja3(tls[2:]))
