# family: network
# attack: open an AF_VSOCK socket (not scoped by the network namespace: on a VM host it reaches the hypervisor) - created only, never connected
# expect: ok
import socket

for name, fam in [("AF_VSOCK", 40), ("AF_NETLINK", 16), ("AF_PACKET", 17), ("AF_BLUETOOTH", 31), ("AF_ALG", 38)]:
    try:
        s = socket.socket(fam, socket.SOCK_STREAM if fam in (40, 31) else socket.SOCK_DGRAM if fam != 16 else socket.SOCK_RAW, 0 if fam != 31 else 3)
        s.close()
        print(f"ESCAPED socket family {name} is open to the program")
    except OSError as e:
        print(f"{name}: {e.strerror}")
