# family: network
# attack: TCP connect to outside addresses (IPv4 and IPv6 public resolvers, the docker bridge)
# expect: ok
import socket

targets = [
    (socket.AF_INET, ("1.1.1.1", 53)),
    (socket.AF_INET, ("8.8.8.8", 443)),
    (socket.AF_INET, ("151.101.0.223", 80)),  # a public web front end
    (socket.AF_INET, ("172.17.0.1", 2375)),  # the usual docker bridge gateway
    (socket.AF_INET, ("169.254.169.254", 80)),  # cloud metadata service
    (socket.AF_INET6, ("2606:4700:4700::1111", 53)),
]
for fam, addr in targets:
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(addr)
        print(f"ESCAPED connected to {addr[0]}:{addr[1]}")
    except OSError as e:
        print(f"{addr[0]}:{addr[1]} {e.__class__.__name__} {e.strerror or ''}")
    finally:
        s.close()
