#!/usr/bin/env python3
"""Write the demo's capture: a few seconds of a small office network's
traffic, made up here (deterministic, no outside data), as a pcap file.

  web browsing (TCP 80/443, IPv4 and IPv6), DNS (UDP 53), NTP (UDP 123),
  an SSH session, pings to the firewall (10.0.0.1), telnet and SMB attempts,
  a port scan from 203.0.113.66, VLAN-tagged VoIP (UDP 5060), ARP.

Usage: make_capture.py OUT.pcap
"""
import random
import struct
import sys

FW_MAC = bytes.fromhex("020000000001")
FW_IP = bytes([10, 0, 0, 1])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac(n):
    return bytes([0x02, 0, 0, 0, (n >> 8) & 0xFF, n & 0xFF])


def ipv4(src, dst, proto, payload, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000, 64,
                      proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr, hdr + payload


def l4_sum(src, dst, proto, seg):
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(seg)) if len(src) == 4 else \
        src + dst + struct.pack("!IxxxB", len(seg), proto)
    return csum(pseudo + seg)


def tcp(src, dst, sport, dport, flags, seq, payload=b""):
    seg = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, flags, 65535, 0, 0) + payload
    c = l4_sum(src, dst, 6, seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_sum(src, dst, 17, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp_echo(ident, seq, payload):
    msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def eth(dst, src, etype, body, vlan=None):
    if vlan is not None:
        head = dst + src + struct.pack("!HHH", 0x8100, vlan, etype)
    else:
        head = dst + src + struct.pack("!H", etype)
    frame = head + body
    return frame + b"\0" * max(0, 60 - len(frame))


class Net:
    def __init__(self):
        self.rng = random.Random(7)
        self.frames = []
        self.ident = 1
        self.t = 1_700_000_000.0

    def add(self, frame, gap=0.002):
        self.t += gap * (0.5 + self.rng.random())
        self.frames.append((self.t, frame))

    def v4(self, smac, src, dst, proto, seg, vlan=None):
        self.ident += 1
        _, pkt = ipv4(src, dst, proto, seg, self.ident)
        self.add(eth(FW_MAC, smac, 0x0800, pkt, vlan))

    def v6(self, smac, src, dst, proto, seg):
        hdr = struct.pack("!IHBB16s16s", 0x60000000, len(seg), proto, 64, src, dst)
        self.add(eth(FW_MAC, smac, 0x86DD, hdr + seg))


def build():
    n = Net()
    rng = n.rng
    hosts = [(mac(10 + i), bytes([10, 0, 0, 10 + i])) for i in range(8)]
    servers = [bytes([93, 184, 216, 34]), bytes([140, 82, 121, 4]), bytes([151, 101, 1, 69])]
    for rnd in range(60):
        m, ip = rng.choice(hosts)
        srv = rng.choice(servers)
        sport = 40000 + rng.randrange(2000)
        dport = rng.choice([443, 443, 443, 80])
        for i, fl in enumerate([0x02, 0x10, 0x18, 0x18, 0x11]):
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 400))) if fl == 0x18 else b""
            n.v4(m, ip, srv, 6, tcp(ip, srv, sport, dport, fl, 1000 + i, body))
        if rnd % 3 == 0:
            qname = b"\x07example\x03com\x00"
            n.v4(m, ip, bytes([10, 0, 0, 53]), 17,
                 udp(ip, bytes([10, 0, 0, 53]), sport, 53, struct.pack("!HHHHHH", rnd, 0x100, 1, 0, 0, 0) + qname + b"\0\1\0\1"))
        if rnd % 10 == 0:
            n.v4(m, ip, bytes([10, 0, 0, 123]), 17, udp(ip, bytes([10, 0, 0, 123]), 123, 123, b"\x23" + b"\0" * 47))
        if rnd % 4 == 0:
            src6 = bytes.fromhex("20010db8000000000000000000000a") + bytes([rnd & 0xFF])
            dst6 = bytes.fromhex("2606470000000000000000006810") + bytes([0x84, 0xe5])
            n.v6(m, src6, dst6, 6, tcp(src6, dst6, sport, 443, 0x18, rnd, b"h2 frame" * 8))
        if rnd % 5 == 0:
            n.v4(m, ip, FW_IP, 1, icmp_echo(0x4242, rnd, b"ping-from-the-office" * 2))
        if rnd % 6 == 0:
            n.v4(m, ip, bytes([10, 0, 2, 5]), 17,
                 udp(ip, bytes([10, 0, 2, 5]), 5060, 5060, b"INVITE sip:bob@10.0.2.5 SIP/2.0\r\n"), vlan=100)
        if rnd % 7 == 0:
            arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, m, ip, b"\0" * 6, FW_IP)
            n.add(eth(b"\xff" * 6, m, 0x0806, arp))
    # an SSH session
    m, ip = hosts[2]
    for i in range(25):
        n.v4(m, ip, bytes([10, 0, 1, 22]), 6, tcp(ip, bytes([10, 0, 1, 22]), 51000, 22, 0x18, i, b"ssh" * 20))
    # telnet and SMB attempts (the firewall blocks both)
    for i in range(6):
        m, ip = rng.choice(hosts)
        port = 23 if i % 2 else 445
        n.v4(m, ip, bytes([10, 0, 1, 30]), 6, tcp(ip, bytes([10, 0, 1, 30]), 52000 + i, port, 0x02, i))
    # a port scan: SYNs to many ports from one outside address
    scanner = bytes([203, 0, 113, 66])
    for port in list(range(20, 40)) + [80, 443, 3306, 3389, 5432, 8080]:
        n.v4(mac(0x99), scanner, bytes([10, 0, 1, 30]), 6,
             tcp(scanner, bytes([10, 0, 1, 30]), 61000, port, 0x02, port), )
    return n.frames


def write_pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in frames:
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    frames = build()
    write_pcap(sys.argv[1], frames)
    print("%s: %d packets" % (sys.argv[1], len(frames)))
