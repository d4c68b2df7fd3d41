# family: network
# attack: connect to services on the host's loopback (ssh, redis, postgres, docker)
# expect: ok
import socket

for port in (22, 53, 80, 443, 2375, 5432, 6379, 8080):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        # Inside, lo belongs to the sandbox alone: nothing listens on it.
        print(f"ESCAPED connected to 127.0.0.1:{port}")
    except OSError as e:
        print(f"127.0.0.1:{port} {e.__class__.__name__}")
    finally:
        s.close()
