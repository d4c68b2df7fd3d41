# A minimal WebSocket client (RFC 6455) for the guest's session check: runs
# with the Python rootfs's standard library. Sends one line of input and EOF,
# prints every text message until the "exit" one.
# usage: ws_client.py HOST PORT PATH LINE
import base64, json, os, socket, struct, sys

host, port, path, line = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.create_connection((host, port), timeout=90)
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1)
    if not chunk:
        sys.exit("closed during the handshake")
    head += chunk
if b" 101 " not in head.split(b"\r\n")[0]:
    sys.exit("handshake refused: " + head.split(b"\r\n")[0].decode())


def send(obj):
    data = json.dumps(obj).encode()
    mask = os.urandom(4)
    hdr = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126 else bytes([0x80 | 126]) + struct.pack(">H", len(data)))
    s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def recv_exact(n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


send({"type": "input", "data": line + "\n"})
send({"type": "eof"})
while True:
    b0, b1 = recv_exact(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack(">H", recv_exact(2))[0]
    elif n == 127:
        n = struct.unpack(">Q", recv_exact(8))[0]
    payload = recv_exact(n)
    if b0 & 0x0F == 8:
        print("close", payload[:2].hex())
        break
    if b0 & 0x0F == 1:
        print(payload.decode())
        if json.loads(payload).get("type") == "exit":
            break
