# family: side-channel
# attack: two concurrent runs talk over an abstract unix socket ("\0nsjudge-corpus")
# expect: ok
# pair: yes
import socket, sys, time

NAME = "\0nsjudge-corpus"
role = sys.stdin.readline().strip()
if role == "0":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.bind(NAME)
    except OSError as e:
        print(f"ESCAPED bind {NAME!r}: {e.strerror}: another run holds the name")
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
else:
    time.sleep(0.2)
    deadline, err = time.time() + 1.5, None
    while time.time() < deadline:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(NAME)
            print(f"ESCAPED connected to the other run's socket: {c.recv(64)!r}")
            break
        except OSError as e:
            err = e.strerror
        finally:
            c.close()
        time.sleep(0.05)
    else:
        print(f"connect {NAME!r}: {err}")
    d = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        d.bind(NAME)
        print("copy 1 could bind the same name: it is its own")
    except OSError as e:
        print(f"ESCAPED bind {NAME!r}: {e.strerror}: the other run holds the name")
