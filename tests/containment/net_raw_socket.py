# family: network
# attack: open raw sockets (AF_PACKET, SOCK_RAW ICMP), which need CAP_NET_RAW
# expect: ok
import socket

attempts = [
    ("AF_PACKET SOCK_RAW", socket.AF_PACKET, socket.SOCK_RAW, 0x0300),  # ETH_P_ALL, network order
    ("AF_PACKET SOCK_DGRAM", socket.AF_PACKET, socket.SOCK_DGRAM, 0x0300),
    ("AF_INET SOCK_RAW ICMP", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP),
    ("AF_INET SOCK_RAW RAW", socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW),
    ("AF_INET6 SOCK_RAW ICMPV6", socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6),
]
for name, fam, typ, proto in attempts:
    try:
        s = socket.socket(fam, typ, proto)
        s.close()
        print(f"ESCAPED opened a raw socket: {name}")
    except OSError as e:
        print(f"{name}: {e.__class__.__name__} {e.strerror}")
