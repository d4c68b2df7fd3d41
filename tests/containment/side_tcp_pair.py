# family: side-channel
# attack: a TCP (and UDP) listener on 127.0.0.1 in copy 0 reached by copy 1
# expect: ok
# pair: yes
import socket, sys, time

PORT = 47391
role = sys.stdin.readline().strip()
if role == "0":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no one's listener
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", PORT))
        u.bind(("127.0.0.1", PORT))
    except OSError as e:
        print(f"ESCAPED bind 127.0.0.1:{PORT}: {e.strerror}: another run holds the port")
        sys.exit(0)
    s.listen(4)
    s.settimeout(2.0)
    try:
        c, _ = s.accept()
        c.sendall(b"hello from copy 0\n")
        c.close()
        print("copy 0 accepted a connection")
    except OSError:
        print("copy 0: nobody connected")
    u.settimeout(0.1)
    try:
        print(f"copy 0 got a datagram: {u.recv(64)!r}")
    except OSError:
        pass
else:
    time.sleep(0.2)
    deadline, err = time.time() + 1.5, None
    while time.time() < deadline:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"datagram from copy 1", ("127.0.0.1", PORT))
        u.close()
        c = socket.socket()
        c.settimeout(0.3)
        try:
            c.connect(("127.0.0.1", PORT))
            print(f"ESCAPED connected to the other run's listener: {c.recv(64)!r}")
            break
        except OSError as e:
            err = e.strerror
        finally:
            c.close()
        time.sleep(0.05)
    else:
        print(f"connect 127.0.0.1:{PORT}: {err}")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", PORT))
        s.listen(1)
        print(f"copy 1 could bind 127.0.0.1:{PORT}: the port is its own")
    except OSError as e:
        print(f"ESCAPED bind 127.0.0.1:{PORT}: {e.strerror}: the other run holds the port")
