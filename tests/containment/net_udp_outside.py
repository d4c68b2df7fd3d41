# family: network
# attack: send UDP datagrams (a DNS query) to outside resolvers, and resolve a name
# expect: ok
import socket

# A minimal DNS query for example.com, type A.
query = bytes.fromhex("abcd01000001000000000000076578616d706c6503636f6d0000010001")
for host in ("1.1.1.1", "8.8.8.8", "9.9.9.9"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.sendto(query, (host, 53))
        # With only lo there is no route: the send itself must fail.
        print(f"ESCAPED sent a UDP datagram to {host}:53")
        try:
            data, peer = s.recvfrom(512)
            print(f"ESCAPED got a {len(data)}-byte reply from {peer}")
        except OSError as e:
            print(f"{host}:53 no reply: {e.__class__.__name__}")
    except OSError as e:
        print(f"{host}:53 sendto: {e.__class__.__name__} {e.strerror}")
    finally:
        s.close()
try:
    addrs = socket.getaddrinfo("example.com", 443, proto=socket.IPPROTO_TCP)
    print(f"ESCAPED resolved example.com: {addrs[0][4]}")
except OSError as e:
    print(f"getaddrinfo example.com: {e.__class__.__name__} {e}")
