# expect: ok
# stdout: net=blocked
# Only lo exists in the sandbox's network namespace: no route out, and
# nothing listens on its own loopback (the host's is another namespace).
import socket

def reachable(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()

targets = [("1.1.1.1", 53), ("127.0.0.1", 22), ("127.0.0.1", 80), ("127.0.0.1", 5432)]
print("net=" + ("open" if any(reachable(h, p) for h, p in targets) else "blocked"))
